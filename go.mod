module github.com/scuttlego/scuttlebutt

go 1.26
