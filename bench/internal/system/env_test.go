package system

import (
	"slices"
	"testing"
)

// usage4688f94 is the head of veltrix-coordinator -h before per-edge
// credentials (commit 4688f94): -edge-token, no -edge-credentials.
const usage4688f94 = `Usage of veltrix-coordinator:
  -admin-token string
    	admin API bearer token (default: generated into <data-dir>/admin-token)
  -bootstrap
    	bootstrap a new cluster (ignored once the data directory holds raft state)
  -edge-token string
    	edge API bearer token (default: the admin token)
`

// usageNow is the same with per-edge credentials; the help of -edge-token
// names -edge-credentials too.
const usageNow = `Usage of veltrix-coordinator:
  -admin-token string
    	admin API bearer token (default: generated into <data-dir>/admin-token)
  -edge-credentials string
    	file of per-edge credentials, lines "<edge id> <sha256 hex of its token>"
  -edge-token string
    	a shared edge API bearer token, not bound to an edge id (prefer -edge-credentials)
  -insecure-raft
    	run raft over plain, unauthenticated TCP
`

func TestFlagNames(t *testing.T) {
	tests := []struct {
		name  string
		usage string
		want  []string
	}{
		{name: "before per-edge credentials", usage: usage4688f94, want: []string{"admin-token", "bootstrap", "edge-token"}},
		{name: "with per-edge credentials", usage: usageNow,
			want: []string{"admin-token", "edge-credentials", "edge-token", "insecure-raft"}},
		{name: "a flag named only in help text is not a flag", usage: "  -edge-token string\n    \tprefer -edge-credentials\n",
			want: []string{"edge-token"}},
		{name: "no usage", usage: "", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for name := range flagNames(tc.usage) {
				got = append(got, name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("flags %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCoordinatorEnv(t *testing.T) {
	tests := []struct {
		name  string
		usage string
		want  []string
	}{
		// An old build ignores the variables it has no flag for, and takes
		// the edge's token as its one shared edge token.
		{name: "before per-edge credentials", usage: usage4688f94, want: []string{"VELTRIX_INSECURE_RAFT=true",
			"VELTRIX_EDGE_CREDENTIALS=/d/creds", "VELTRIX_EDGE_TOKEN=tok"}},
		// A new build binds the token to the edge's id and has no shared one.
		{name: "with per-edge credentials", usage: usageNow, want: []string{"VELTRIX_INSECURE_RAFT=true",
			"VELTRIX_EDGE_CREDENTIALS=/d/creds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := coordinatorEnvFor(flagNames(tc.usage), "/d/creds", "tok")
			if !slices.Equal(got, tc.want) {
				t.Errorf("env %q, want %q", got, tc.want)
			}
		})
	}
}
