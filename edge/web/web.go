// Package web is the edge's demo page: a self-contained HTML page and ES
// module (no external network, no third-party code) that plays Veltrix in a
// browser through the edge that serves it, using the tested protocol/js
// codec.
package web

import (
	_ "embed"
	"net/http"

	protojs "github.com/veltrix/veltrix/protocol/js"
)

//go:embed index.html
var index []byte

//go:embed app.js
var app []byte

//go:embed heatmap.js
var heatmap []byte

// Register adds the page's routes to mux.
func Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", serve(index, "text/html; charset=utf-8"))
	mux.HandleFunc("GET /app.js", serve(app, "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /heatmap.js", serve(heatmap, "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /protocol.js", serve(protojs.Module, "text/javascript; charset=utf-8"))
}

func serve(b []byte, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	}
}
