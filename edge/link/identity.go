package link

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/veltrix/veltrix/coordinator/api"
)

// WhoAmI asks the first coordinator that answers which edge the token is
// bound to (api.Identity: Edge is "" for a shared or admin token).
func WhoAmI(ctx context.Context, client *http.Client, coordinators []string, token string) (api.Identity, error) {
	l := &Link{cfg: Config{Token: token}}
	var last error = errors.New("no coordinators")
	for _, base := range coordinators {
		resp, err := l.do(ctx, client, http.MethodGet, strings.TrimRight(base, "/")+"/v1/edge/whoami", nil)
		if err != nil {
			last = err
			if refused(err) {
				return api.Identity{}, err // a wrong token is wrong everywhere
			}
			continue
		}
		var id api.Identity
		err = json.NewDecoder(resp.Body).Decode(&id)
		resp.Body.Close()
		return id, err
	}
	return api.Identity{}, last
}

// DefaultEdgeID is the edge id of a node whose credential names none and
// that was given no -id: prefix (a group credential's), the host name and
// the port — unique per node and stable across restarts (the same id after
// a restart keeps claim retries idempotent), made of the characters an edge
// id allows and at most api.MaxEdgeIDLen long.
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
	id := prefix + string(b[:max(0, min(len(b), api.MaxEdgeIDLen-len(prefix)-len(suffix)))]) + suffix
	if !api.ValidEdgeID(id) {
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
