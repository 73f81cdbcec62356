package scuttlebutt

import (
	"context"
	"log"
	"log/slog"
	"os"
	"strings"
)

// newLogger returns the structured logger for cfg: StructuredLogger if set;
// else Logger, adapted; else warnings and errors to os.Stderr.
func newLogger(cfg *Config) *slog.Logger {
	switch {
	case cfg.StructuredLogger != nil:
		return cfg.StructuredLogger
	case cfg.Logger != nil:
		return slog.New(&stdLogHandler{l: cfg.Logger})
	default:
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
}

// stdLogHandler writes slog records at Info level and above through a
// *log.Logger, which adds its own prefix and timestamp:
// "WARN message key=value ...".
type stdLogHandler struct {
	l      *log.Logger
	attrs  []slog.Attr
	prefix string // group prefix for keys, "a.b."
}

func (s *stdLogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (s *stdLogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String())
	b.WriteByte(' ')
	b.WriteString(r.Message)
	for _, a := range s.attrs {
		writeAttr(&b, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, s.prefix, a)
		return true
	})
	return s.l.Output(2, b.String())
}

func writeAttr(b *strings.Builder, prefix string, a slog.Attr) {
	if a.Equal(slog.Attr{}) {
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix + a.Key)
	b.WriteByte('=')
	b.WriteString(a.Value.Resolve().String())
}

func (s *stdLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := &stdLogHandler{l: s.l, prefix: s.prefix, attrs: append([]slog.Attr(nil), s.attrs...)}
	for _, a := range as {
		a.Key = s.prefix + a.Key
		n.attrs = append(n.attrs, a)
	}
	return n
}

func (s *stdLogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return s
	}
	return &stdLogHandler{l: s.l, attrs: s.attrs, prefix: s.prefix + name + "."}
}
