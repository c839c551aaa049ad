package link

import (
	"strconv"
	"strings"
	"testing"

	"github.com/veltrix/veltrix/coordinator/wire"
)

func TestDefaultEdgeIDIsValid(t *testing.T) {
	for _, prefix := range []string{"", "eu-west-1-", strings.Repeat("p", 50)} {
		for _, port := range []int{0, 443, 65535} {
			if id := DefaultEdgeID(prefix, port); !wire.ValidEdgeID(id) || !strings.HasPrefix(id, prefix) || !strings.HasSuffix(id, "-"+strconv.Itoa(port)) {
				t.Errorf("DefaultEdgeID(%q, %d) = %q", prefix, port, id)
			}
		}
	}
}
