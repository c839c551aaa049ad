package fsm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/veltrix/veltrix/coordinator/wire"
)

// Kind is the first byte of every log entry the FSM applies.
type Kind uint8

// Command kinds. Numbers are never reused.
const (
	KindCreateHunt   Kind = 1
	KindStartHunt    Kind = 2
	KindEndHunt      Kind = 3
	KindDeleteHunt   Kind = 4
	KindClaims       Kind = 5
	KindRegisterEdge Kind = 6
	KindSetNode      Kind = 7
	KindSetHome      Kind = 8 // new in version 2 of the log (testdata/v2.log)
)

// Versions each kind is written at today. Decoders keep every older version.
const (
	versionJSON   = 1 // admin commands: JSON payload
	versionClaims = 1 // claim batches: binary payload (see encodeClaims)
)

// ErrBadCommand reports a log entry this node cannot decode.
var ErrBadCommand = errors.New("fsm: undecodable command")

// CreateHunt creates a hunt and places its treasures with Seed.
type CreateHunt struct {
	Spec HuntSpec `json:"spec"`
	Seed uint64   `json:"seed"`
	Time int64    `json:"time"`
}

// HuntTransition starts, ends or deletes a hunt (by the entry's kind).
type HuntTransition struct {
	Hunt uint32 `json:"hunt"`
	Time int64  `json:"time"`
}

// RegisterEdge records an edge and where players reach it.
type RegisterEdge struct {
	Edge Edge `json:"edge"`
}

// SetNode records the HTTP API address of a coordinator node, so that
// followers can forward writes to the leader.
type SetNode struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

// SetHome sets the home region of a hunt: the region whose edges serve its
// players (others redirect them there). An empty Region serves it anywhere.
type SetHome struct {
	Hunt   uint32 `json:"hunt"`
	Region string `json:"region"`
	Time   int64  `json:"time"`
}

// Claim is one claim as an edge submits it (wire.Claim).
type Claim = wire.Claim

// Claims is a batch of claims applied in one log entry, in order. Seed seeds
// the respawns of the batch; Time is when the leader proposed it.
type Claims struct {
	Time   int64
	Seed   uint64
	Claims []Claim
}

// Encode returns the log entry for a command.
func Encode(cmd any) ([]byte, error) {
	switch c := cmd.(type) {
	case *CreateHunt:
		return encodeJSON(KindCreateHunt, c)
	case *RegisterEdge:
		return encodeJSON(KindRegisterEdge, c)
	case *SetNode:
		return encodeJSON(KindSetNode, c)
	case *SetHome:
		return encodeJSON(KindSetHome, c)
	case *Claims:
		return encodeClaims(c), nil
	}
	return nil, fmt.Errorf("fsm: cannot encode %T", cmd)
}

// EncodeTransition returns the log entry that starts, ends or deletes a hunt.
func EncodeTransition(k Kind, t HuntTransition) ([]byte, error) {
	if k != KindStartHunt && k != KindEndHunt && k != KindDeleteHunt {
		return nil, fmt.Errorf("fsm: %d is not a hunt transition", k)
	}
	return encodeJSON(k, &t)
}

func encodeJSON(k Kind, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{byte(k), versionJSON}, b...), nil
}

// decode turns a log entry back into a command.
func decode(data []byte) (Kind, any, error) {
	if len(data) < 2 {
		return 0, nil, ErrBadCommand
	}
	k, ver, payload := Kind(data[0]), data[1], data[2:]
	var v any
	switch k {
	case KindCreateHunt:
		v = new(CreateHunt)
	case KindStartHunt, KindEndHunt, KindDeleteHunt:
		v = new(HuntTransition)
	case KindRegisterEdge:
		v = new(RegisterEdge)
	case KindSetNode:
		v = new(SetNode)
	case KindSetHome:
		v = new(SetHome)
	case KindClaims:
		if ver != versionClaims {
			return k, nil, fmt.Errorf("%w: claims version %d", ErrBadCommand, ver)
		}
		c, err := decodeClaims(payload)
		return k, c, err
	default:
		return k, nil, fmt.Errorf("%w: kind %d", ErrBadCommand, k)
	}
	if ver != versionJSON {
		return k, nil, fmt.Errorf("%w: kind %d version %d", ErrBadCommand, k, ver)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(v); err != nil {
		return k, nil, fmt.Errorf("%w: %v", ErrBadCommand, err)
	}
	return k, v, nil
}

// Claims entries are binary: they are the hot write path.
//
//	time i64 | seed u64 | count u32 | count × claim
//	claim: edge len u8 | edge bytes | request u64 | hunt u32 | treasure u32 | player u32 | cell u64
func encodeClaims(c *Claims) []byte {
	b := make([]byte, 0, 22+len(c.Claims)*40)
	b = append(b, byte(KindClaims), versionClaims)
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Time))
	b = binary.LittleEndian.AppendUint64(b, c.Seed)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.Claims)))
	for _, cl := range c.Claims {
		edge := cl.Edge[:min(len(cl.Edge), 255)]
		b = append(b, byte(len(edge)))
		b = append(b, edge...)
		b = binary.LittleEndian.AppendUint64(b, cl.Request)
		b = binary.LittleEndian.AppendUint32(b, cl.Hunt)
		b = binary.LittleEndian.AppendUint32(b, cl.Treasure)
		b = binary.LittleEndian.AppendUint32(b, cl.Player)
		b = binary.LittleEndian.AppendUint64(b, cl.Cell)
	}
	return b
}

func decodeClaims(p []byte) (*Claims, error) {
	le := binary.LittleEndian
	if len(p) < 20 {
		return nil, ErrBadCommand
	}
	c := &Claims{Time: int64(le.Uint64(p)), Seed: le.Uint64(p[8:])}
	n := int(le.Uint32(p[16:]))
	p = p[20:]
	if n > len(p)/29 {
		return nil, fmt.Errorf("%w: %d claims in %d bytes", ErrBadCommand, n, len(p))
	}
	c.Claims = make([]Claim, n)
	for i := range c.Claims {
		if len(p) < 1 || len(p) < 1+int(p[0])+28 {
			return nil, ErrBadCommand
		}
		el := int(p[0])
		cl := &c.Claims[i]
		cl.Edge = string(p[1 : 1+el])
		p = p[1+el:]
		cl.Request, cl.Hunt = le.Uint64(p), le.Uint32(p[8:])
		cl.Treasure, cl.Player, cl.Cell = le.Uint32(p[12:]), le.Uint32(p[16:]), le.Uint64(p[20:])
		p = p[28:]
	}
	return c, nil
}
