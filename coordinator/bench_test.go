package coordinator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/veltrix/veltrix/coordinator/api"
	"github.com/veltrix/veltrix/coordinator/fsm"
)

// benchEdge submits claims for one simulated edge the way an edge does:
// whatever claims are waiting go out in one request; while it is in flight,
// new claims wait for the next one (drain, send, block).
type benchEdge struct {
	id     string
	url    string
	client *http.Client
	queue  chan dueClaim
	hist   *hdrhistogram.Histogram // latency from when each claim was due, µs
	rtt    *hdrhistogram.Histogram // latency of each request, µs
	errs   []error
}

type dueClaim struct {
	claim fsm.Claim
	due   time.Time
}

func (e *benchEdge) run(wg *sync.WaitGroup) {
	defer wg.Done()
	for first := range e.queue {
		batch := []dueClaim{first}
	drain:
		for len(batch) < api.MaxClaimsPerRequest {
			select {
			case c, ok := <-e.queue:
				if !ok {
					break drain
				}
				batch = append(batch, c)
			default:
				break drain
			}
		}
		req := api.ClaimsRequest{Claims: make([]fsm.Claim, len(batch))}
		for i, c := range batch {
			req.Claims[i] = c.claim
		}
		sent := time.Now()
		err := e.post(req)
		now := time.Now()
		e.rtt.RecordValue(now.Sub(sent).Microseconds())
		for _, c := range batch {
			e.hist.RecordValue(now.Sub(c.due).Microseconds())
		}
		if err != nil {
			e.errs = append(e.errs, err)
		}
	}
}

func (e *benchEdge) post(body api.ClaimsRequest) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out api.ClaimsResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || len(out.Outcomes) != len(body.Claims) {
		return fmt.Errorf("claims request: %s, %v", resp.Status, err)
	}
	return nil
}

// BenchmarkProcessClusterClaimsPaced runs three coordinator processes on
// loopback (the real binary) and offers 5,000 claims/s, spread over 20
// simulated edges that submit over HTTP to the leader. Each b.N round is one
// second of offered load; latency is measured from when each claim was due
// (open loop: a slow system cannot slow the offered load down). It also
// reports the round trip of the requests themselves: the rest of a claim's
// latency is its wait at its edge for the request before it; and, from the
// nodes' metrics, how much of the round trip is the commit and its fsyncs.
func BenchmarkProcessClusterClaimsPaced(b *testing.B) {
	const rate, edges = 5000, 20
	c := newCluster(b, 3)
	lead := c.leader(15 * time.Second)
	hunt := c.createHunt(lead, 50, fsm.RespawnAfter) // respawning: claims keep winning
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: edges}, Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	es := make([]*benchEdge, edges)
	for i := range es {
		es[i] = &benchEdge{id: fmt.Sprintf("edge-%d", i), url: c.url(lead) + "/v1/edge/claims", client: client,
			queue: make(chan dueClaim, rate), hist: hdrhistogram.New(1, 10_000_000, 3), rtt: hdrhistogram.New(1, 10_000_000, 3)}
		wg.Add(1)
		go es[i].run(&wg)
	}
	pace := time.NewTimer(0)
	var r uint64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		for i := range rate {
			due := start.Add(time.Duration(i) * time.Second / rate)
			if d := time.Until(due); d > 0 { // pace the offered load
				pace.Reset(d)
				<-pace.C
			}
			r++
			e := es[r%edges]
			tr := hunt.Treasures[int(r)%len(hunt.Treasures)]
			e.queue <- dueClaim{claim: fsm.Claim{Edge: e.id, Request: r, Hunt: hunt.ID, Treasure: tr.ID, Player: uint32(r%500 + 1), Cell: tr.Cell}, due: due}
		}
	}
	for _, e := range es {
		close(e.queue)
	}
	wg.Wait()
	b.StopTimer()
	hist, rtt := hdrhistogram.New(1, 10_000_000, 3), hdrhistogram.New(1, 10_000_000, 3)
	followerStore := 0.0
	for _, e := range es {
		hist.Merge(e.hist)
		rtt.Merge(e.rtt)
		for _, err := range e.errs {
			b.Error(err)
		}
	}
	b.ReportMetric(rate, "offered-claims/s")
	b.ReportMetric(float64(hist.ValueAtQuantile(50))/1000, "p50-ms")
	b.ReportMetric(float64(hist.ValueAtQuantile(99))/1000, "p99-ms")
	b.ReportMetric(float64(hist.ValueAtQuantile(99.9))/1000, "p999-ms")
	// The coordinators' own view, from their metrics: the leader's mean
	// time to commit a request's claims, raft's commit time, and the p99 of
	// the log store's append (with its fsync) on the leader and on the
	// slower follower (raft's summaries cover the last 10 s).
	for _, i := range c.running() {
		fams, err := scrapeMetrics(c.url(i) + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		if i != lead {
			followerStore = max(followerStore, summaryQuantile(fams["raft_rpc_appendEntries_storeLogs"], 0.99))
			continue
		}
		h := fams["veltrix_coordinator_claim_apply_seconds"].GetMetric()
		if len(h) != 1 || h[0].GetHistogram().GetSampleCount() == 0 {
			b.Fatal("the leader reports no claim commit latency")
		}
		b.ReportMetric(1000*h[0].GetHistogram().GetSampleSum()/float64(h[0].GetHistogram().GetSampleCount()), "leader-apply-mean-ms")
		b.ReportMetric(summaryQuantile(fams["raft_commitTime"], 0.99), "raft-commit-p99-ms")
		b.ReportMetric(summaryQuantile(fams["raft_leader_dispatchLog"], 0.99), "leader-store-p99-ms")
	}
	b.ReportMetric(followerStore, "follower-store-p99-ms")
	b.ReportMetric(float64(rtt.ValueAtQuantile(50))/1000, "request-p50-ms")
	b.ReportMetric(float64(rtt.ValueAtQuantile(99))/1000, "request-p99-ms")
	b.ReportMetric(float64(rtt.TotalCount())/b.Elapsed().Seconds(), "requests/s")
}

// scrapeMetrics reads a node's Prometheus metrics.
func scrapeMetrics(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// summaryQuantile is quantile q of a summary (raft's timings, in ms), 0
// when the node has not reported it.
func summaryQuantile(f *dto.MetricFamily, q float64) float64 {
	for _, m := range f.GetMetric() {
		for _, x := range m.GetSummary().GetQuantile() {
			if x.GetQuantile() == q {
				return x.GetValue()
			}
		}
	}
	return 0
}
