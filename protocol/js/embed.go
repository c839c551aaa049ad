// Package js embeds the JavaScript protocol codec so that Go servers (the
// edge's demo page) can serve the very module that is tested against the
// golden vectors.
package js

import _ "embed"

// Module is veltrix-protocol.js, a plain ES module.
//
//go:embed veltrix-protocol.js
var Module []byte
