module github.com/scuttlego/scuttlebutt

go 1.26.0

require (
	github.com/hashicorp/go-msgpack/v2 v2.1.5 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/exp v0.0.0-20261014143641-f0251eb4aa3e // indirect
)
