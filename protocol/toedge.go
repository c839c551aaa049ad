package protocol

// Client → edge messages (SPEC.md §2.1).

// Hello opens a session.
type Hello struct {
	Version uint8  `json:"version"`
	Kind    uint8  `json:"kind"`
	Hunt    uint32 `json:"hunt"`
	Token   Text   `json:"token"` // at most MaxToken bytes; longer is cut
}

const helloFixed = 8 // version, kind, hunt, token length

// AppendHello appends m to dst.
func AppendHello(dst []byte, m *Hello) []byte {
	tok := min(len(m.Token), MaxToken)
	dst = appendHeader(dst, TypeHello, helloFixed+tok)
	dst = append(dst, m.Version, m.Kind)
	dst = appendU32(dst, m.Hunt)
	return appendBytes16(dst, m.Token, MaxToken)
}

// Decode fills m from body. m.Token aliases body.
func (m *Hello) Decode(body []byte) error {
	if len(body) < helloFixed {
		return ErrTruncated
	}
	tok, _, err := readBytes16(body, 6, MaxToken)
	if err != nil {
		return err
	}
	m.Version, m.Kind, m.Hunt, m.Token = body[0], body[1], le.Uint32(body[2:]), tok
	return nil
}

// Position is a player's position fix.
type Position struct {
	Seq      uint32 `json:"seq"`
	Lat      int32  `json:"lat"`      // degrees × 1e7
	Lng      int32  `json:"lng"`      // degrees × 1e7
	Accuracy uint16 `json:"accuracy"` // decimetres, 0 = unknown
	Time     uint64 `json:"time"`     // client clock, µs since the Unix epoch
}

// PositionSize is the encoded size of a POSITION, header included.
const PositionSize = HeaderSize + positionBody

const positionBody = 22

// AppendPosition appends m to dst.
func AppendPosition(dst []byte, m *Position) []byte {
	dst = appendHeader(dst, TypePosition, positionBody)
	dst = appendU32(dst, m.Seq)
	dst = appendI32(dst, m.Lat)
	dst = appendI32(dst, m.Lng)
	dst = appendU16(dst, m.Accuracy)
	return appendU64(dst, m.Time)
}

// Decode fills m from body.
func (m *Position) Decode(body []byte) error {
	if len(body) < positionBody {
		return ErrTruncated
	}
	m.Seq = le.Uint32(body)
	m.Lat = int32(le.Uint32(body[4:]))
	m.Lng = int32(le.Uint32(body[8:]))
	m.Accuracy = le.Uint16(body[12:])
	m.Time = le.Uint64(body[14:])
	return nil
}

// Claim asks to claim a treasure.
type Claim struct {
	Request  uint32 `json:"request"`
	Treasure uint32 `json:"treasure"`
}

// AppendClaim appends m to dst.
func AppendClaim(dst []byte, m *Claim) []byte {
	dst = appendHeader(dst, TypeClaim, 8)
	dst = appendU32(dst, m.Request)
	return appendU32(dst, m.Treasure)
}

// Decode fills m from body.
func (m *Claim) Decode(body []byte) error {
	if len(body) < 8 {
		return ErrTruncated
	}
	m.Request, m.Treasure = le.Uint32(body), le.Uint32(body[4:])
	return nil
}

// Ping is a liveness and clock probe.
type Ping struct {
	Time uint64 `json:"time"`
}

// AppendPing appends m to dst.
func AppendPing(dst []byte, m *Ping) []byte {
	return appendU64(appendHeader(dst, TypePing, 8), m.Time)
}

// Decode fills m from body.
func (m *Ping) Decode(body []byte) error {
	if len(body) < 8 {
		return ErrTruncated
	}
	m.Time = le.Uint64(body)
	return nil
}

// Bye announces that the client is leaving.
type Bye struct {
	Code Code `json:"code"`
}

// AppendBye appends m to dst.
func AppendBye(dst []byte, m *Bye) []byte {
	return appendU16(appendHeader(dst, TypeBye, 2), uint16(m.Code))
}

// Decode fills m from body.
func (m *Bye) Decode(body []byte) error {
	if len(body) < 2 {
		return ErrTruncated
	}
	m.Code = Code(le.Uint16(body))
	return nil
}

// Token presents a fresh access token on a live session (SPEC.md §2.1).
type Token struct {
	Token Text `json:"token"` // at most MaxToken bytes; longer is cut
}

// AppendToken appends m to dst.
func AppendToken(dst []byte, m *Token) []byte {
	dst = appendHeader(dst, TypeToken, 2+min(len(m.Token), MaxToken))
	return appendBytes16(dst, m.Token, MaxToken)
}

// Decode fills m from body. m.Token aliases body.
func (m *Token) Decode(body []byte) error {
	tok, _, err := readBytes16(body, 0, MaxToken)
	if err != nil {
		return err
	}
	m.Token = tok
	return nil
}
