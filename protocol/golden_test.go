package protocol

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the hex of canonical vectors in testdata/golden.json from the Go encoder")

const goldenPath = "testdata/golden.json"

type goldenFile struct {
	Vectors []goldenVector `json:"vectors"`
}

type goldenVector struct {
	Name      string            `json:"name"`
	Note      string            `json:"note"`
	Canonical bool              `json:"canonical,omitempty"`
	Error     string            `json:"error,omitempty"`
	Hex       string            `json:"hex"`
	Messages  []json.RawMessage `json:"messages,omitempty"`
}

var typeByName = func() map[string]Type {
	m := map[string]Type{}
	for t, n := range typeNames {
		m[n] = t
	}
	return m
}()

func loadGolden(t testing.TB) *goldenFile {
	t.Helper()
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("cannot parse %s: %v", goldenPath, err)
	}
	return &g
}

// messageFromJSON builds the message a vector describes.
func messageFromJSON(t *testing.T, raw json.RawMessage) Message {
	t.Helper()
	var head struct{ Type string }
	if err := json.Unmarshal(raw, &head); err != nil {
		t.Fatal(err)
	}
	m := NewMessage(typeByName[head.Type])
	if m == nil {
		t.Fatalf("vector names unknown type %q", head.Type)
	}
	if err := json.Unmarshal(raw, m); err != nil {
		t.Fatalf("cannot read %s fields: %v", head.Type, err)
	}
	return m
}

// messageToJSON renders m the way vectors write it, empty lists as [].
func messageToJSON(t *testing.T, m Message) any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for k, x := range v {
		if x == nil {
			v[k] = []any{}
		}
	}
	v["type"] = m.Type().String()
	return v
}

// decodeFrame decodes every known message of frame, skipping unknown types.
func decodeFrame(frame []byte) ([]Message, error) {
	var out []Message
	for len(frame) > 0 {
		t, body, rest, err := Split(frame)
		if err != nil {
			return nil, err
		}
		frame = rest
		if NewMessage(t) == nil {
			continue
		}
		m, err := DecodeMessage(t, body)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func TestGolden(t *testing.T) {
	g := loadGolden(t)
	if len(g.Vectors) == 0 {
		t.Fatal("no golden vectors")
	}
	for i := range g.Vectors {
		v := &g.Vectors[i]
		t.Run(v.Name, func(t *testing.T) {
			if *update && v.Canonical {
				var frame []byte
				for _, raw := range v.Messages {
					frame = messageFromJSON(t, raw).AppendTo(frame)
				}
				v.Hex = hex.EncodeToString(frame)
			}
			checkVector(t, v)
		})
	}
	if *update {
		b, err := json.MarshalIndent(g, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkVector(t *testing.T, v *goldenVector) {
	frame, err := hex.DecodeString(v.Hex)
	if err != nil || len(frame) == 0 {
		t.Fatalf("bad hex %q: %v", v.Hex, err)
	}
	got, err := decodeFrame(frame)
	if v.Error != "" {
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != v.Error {
			t.Fatalf("decode error = %v, want kind %q", err, v.Error)
		}
		return
	}
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(got) != len(v.Messages) {
		t.Fatalf("decoded %d messages, want %d", len(got), len(v.Messages))
	}
	var enc []byte
	for i, raw := range v.Messages {
		var want any
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if g := messageToJSON(t, got[i]); !reflect.DeepEqual(g, want) {
			t.Errorf("message %d decoded as\n%v\nwant\n%v", i, g, want)
		}
		enc = messageFromJSON(t, raw).AppendTo(enc)
	}
	if v.Canonical && !bytes.Equal(enc, frame) {
		t.Errorf("encoded\n%x\nwant\n%x", enc, frame)
	}
}
