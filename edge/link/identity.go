package link

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"strconv"

	"github.com/veltrix/veltrix/coordinator/wire"
)

// WhoAmI asks the first coordinator that answers which edge the token is
// bound to (wire.Identity: Edge is "" for a shared or admin token). A
// refusal returns at once: a wrong token is wrong everywhere.
func WhoAmI(ctx context.Context, client *http.Client, coordinators []string, token string) (wire.Identity, error) {
	return wire.NewClient(coordinators, token, client).WhoAmI(ctx)
}

// DefaultEdgeID is the edge id of a node whose credential names none and
// that was given no -id: prefix (a group credential's), the host name and
// the port — unique per node and stable across restarts (the same id after
// a restart keeps claim retries idempotent), made of the characters an edge
// id allows and at most wire.MaxEdgeIDLen long.
func DefaultEdgeID(prefix string, port int) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "edge"
	}
	b := []byte(host)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '-'
		}
	}
	suffix := "-" + strconv.Itoa(port)
	id := prefix + string(b[:max(0, min(len(b), wire.MaxEdgeIDLen-len(prefix)-len(suffix)))]) + suffix
	if !wire.ValidEdgeID(id) {
		id = prefix + "edge" + suffix
	}
	return id
}

// newInstance returns a random instance id.
func newInstance() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
