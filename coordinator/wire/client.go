package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
)

// Client calls the coordinators' HTTP API with a bearer token. Calls that
// change nothing twice (everything but Events) go to each base URL in turn
// until one answers 2xx; Events asks the one it is given.
type Client struct {
	bases  []string
	token  string
	hc     *http.Client
	stream *http.Client // hc without its timeout: the event stream lives long
}

// NewClient returns a client of the coordinators at bases (API base URLs)
// using token and hc (http.DefaultClient if nil).
func NewClient(bases []string, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	stream := *hc
	stream.Timeout = 0 // heartbeats prove the stream alive; the caller watches them
	trimmed := make([]string, len(bases))
	for i, b := range bases {
		trimmed[i] = strings.TrimRight(b, "/")
	}
	return &Client{bases: trimmed, token: token, hc: hc, stream: &stream}
}

// Bases returns the coordinators' base URLs.
func (c *Client) Bases() []string { return c.bases }

// StatusError is a coordinator's non-2xx answer.
type StatusError struct {
	Method, URL, Status string
	Code                int
	Message             string // the JSON error's text, if any
}

func (e *StatusError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s %s: %s", e.Method, e.URL, e.Status)
	}
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.URL, e.Status, e.Message)
}

// Refused reports whether err is a coordinator's 4xx answer other than 429:
// the request will not succeed by being repeated.
func Refused(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code/100 == 4 && se.Code != http.StatusTooManyRequests
}

// send sends an authenticated request and fails on a non-2xx answer with a
// *StatusError.
func (c *Client) send(ctx context.Context, hc *http.Client, method, url string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		var e Error
		_ = json.NewDecoder(io.LimitReader(resp.Body, 4<<10)).Decode(&e)
		return nil, &StatusError{Method: method, URL: url, Code: resp.StatusCode, Status: resp.Status, Message: e.Error}
	}
	return resp, nil
}

// Do sends in (JSON; none if nil) to path with method on each coordinator in
// turn until one answers 2xx, and decodes its answer into out (unless nil).
// With stopOnRefusal, a refusal (see Refused) ends the search at once: a
// wrong token or a bad request is wrong everywhere.
func (c *Client) Do(ctx context.Context, method, path string, in, out any, stopOnRefusal bool) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = b
	}
	var last error = errors.New("wire: no coordinators")
	for _, base := range c.bases {
		resp, err := c.send(ctx, c.hc, method, base+path, body)
		if err != nil {
			last = err
			if stopOnRefusal && Refused(err) {
				return err
			}
			continue
		}
		defer resp.Body.Close()
		if out == nil {
			return nil
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return last
}

// Events opens the event stream of the coordinator at base from the log
// index the caller has applied (0: start with a snapshot), carrying only
// region's hunts ("": every hunt; see StreamMessage). The body is NDJSON,
// one StreamMessage a line; the caller closes it.
func (c *Client) Events(ctx context.Context, base string, from uint64, region string) (io.ReadCloser, error) {
	url := fmt.Sprintf("%s/v1/edge/events?from=%d", strings.TrimRight(base, "/"), from)
	if region != "" {
		url += "&region=" + neturl.QueryEscape(region)
	}
	resp, err := c.send(ctx, c.stream, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Claims submits a batch of at most MaxClaimsPerRequest claims.
func (c *Client) Claims(ctx context.Context, claims []Claim) (ClaimsResponse, error) {
	var resp ClaimsResponse
	err := c.Do(ctx, http.MethodPost, "/v1/edge/claims", ClaimsRequest{Claims: claims}, &resp, false)
	return resp, err
}

// Register records an edge (and its instance).
func (c *Client) Register(ctx context.Context, e Edge) error {
	return c.Do(ctx, http.MethodPost, "/v1/edge/register", e, nil, false)
}

// Load reports an edge's players online per hunt, or that it is leaving.
func (c *Client) Load(ctx context.Context, rep LoadReport) error {
	return c.Do(ctx, http.MethodPost, "/v1/edge/load", rep, nil, false)
}

// WhoAmI asks which edge the token is bound to.
func (c *Client) WhoAmI(ctx context.Context) (Identity, error) {
	var id Identity
	err := c.Do(ctx, http.MethodGet, "/v1/edge/whoami", nil, &id, true)
	return id, err
}

// Hunts lists the hunts (admin token).
func (c *Client) Hunts(ctx context.Context) ([]HuntSummary, error) {
	var hs []HuntSummary
	err := c.Do(ctx, http.MethodGet, "/v1/hunts", nil, &hs, false)
	return hs, err
}

// ConsistentHunts is Hunts read through the leader after a barrier: it
// reflects every write committed before the call, a restarted node's
// replayed log included.
func (c *Client) ConsistentHunts(ctx context.Context) ([]HuntSummary, error) {
	var hs []HuntSummary
	err := c.Do(ctx, http.MethodGet, "/v1/hunts?consistent=true", nil, &hs, false)
	return hs, err
}

// Hunt returns a hunt with its treasures (admin token).
func (c *Client) Hunt(ctx context.Context, id uint32) (HuntDetail, error) {
	var d HuntDetail
	err := c.Do(ctx, http.MethodGet, fmt.Sprintf("/v1/hunts/%d", id), nil, &d, false)
	return d, err
}

// CreateHunt creates a hunt and returns its id (admin token).
func (c *Client) CreateHunt(ctx context.Context, req HuntRequest) (uint32, error) {
	var created HuntCreated
	err := c.Do(ctx, http.MethodPost, "/v1/hunts", req, &created, false)
	return created.Hunt, err
}

// SetHome sets the home region of a hunt ("": any region; admin token).
func (c *Client) SetHome(ctx context.Context, id uint32, region string) error {
	return c.Do(ctx, http.MethodPut, fmt.Sprintf("/v1/hunts/%d/home", id), HomeRequest{Region: region}, nil, false)
}

// StartHunt starts a scheduled hunt (admin token).
func (c *Client) StartHunt(ctx context.Context, id uint32) error {
	return c.Do(ctx, http.MethodPost, fmt.Sprintf("/v1/hunts/%d/start", id), nil, nil, false)
}

// Token mints a development player token (admin token).
func (c *Client) Token(ctx context.Context, req TokenRequest) (string, error) {
	var tok TokenResponse
	err := c.Do(ctx, http.MethodPost, "/v1/tokens", req, &tok, false)
	return tok.Token, err
}
