// Package web is the edge's demo page: a self-contained HTML page, style
// sheet and ES modules (no build step, no external network, no third-party
// code) that plays Veltrix in a browser through the edge that serves it,
// using the tested protocol/js codec.
package web

import (
	"embed"
	"net/http"

	protojs "github.com/veltrix/veltrix/protocol/js"
)

//go:embed index.html style.css *.js
var files embed.FS

// modules are the page's own ES modules and style sheet, served at /<name>.
var modules = map[string]string{
	"app.js": "text/javascript", "map.js": "text/javascript", "status.js": "text/javascript",
	"controls.js": "text/javascript", "heatmap.js": "text/javascript", "style.css": "text/css",
}

// Register adds the page's routes to mux.
func Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", serve(mustRead("index.html"), "text/html; charset=utf-8"))
	for name, typ := range modules {
		mux.HandleFunc("GET /"+name, serve(mustRead(name), typ+"; charset=utf-8"))
	}
	mux.HandleFunc("GET /protocol.js", serve(protojs.Module, "text/javascript; charset=utf-8"))
}

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("web: " + name + " is not embedded: " + err.Error()) // a broken build, not bad input
	}
	return b
}

func serve(b []byte, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	}
}
