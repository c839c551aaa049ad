package protocol

// Edge → client messages with fixed-size bodies (SPEC.md §2.2). CELL_UPDATE,
// TREASURES and HUNT_STATUS, which carry lists, live in lists.go.

// Welcome answers a valid HELLO.
type Welcome struct {
	Player     uint32 `json:"player"`
	Hunt       uint32 `json:"hunt"`
	Resolution uint8  `json:"resolution"`
	TickHz     uint8  `json:"tickHz"`
	Radius     uint8  `json:"radius"`
	Time       uint64 `json:"time"`
}

// AppendWelcome appends m to dst.
func AppendWelcome(dst []byte, m *Welcome) []byte {
	dst = appendHeader(dst, TypeWelcome, 19)
	dst = appendU32(dst, m.Player)
	dst = appendU32(dst, m.Hunt)
	dst = append(dst, m.Resolution, m.TickHz, m.Radius)
	return appendU64(dst, m.Time)
}

// Decode fills m from body.
func (m *Welcome) Decode(body []byte) error {
	if len(body) < 19 {
		return ErrTruncated
	}
	m.Player, m.Hunt = le.Uint32(body), le.Uint32(body[4:])
	m.Resolution, m.TickHz, m.Radius = body[8], body[9], body[10]
	m.Time = le.Uint64(body[11:])
	return nil
}

// Hint points towards the nearest unclaimed treasure.
type Hint struct {
	Band    uint8  `json:"band"`    // 0 unknown … 6 freezing
	Bearing uint16 `json:"bearing"` // hundredths of a degree, 0 = north
}

// AppendHint appends m to dst.
func AppendHint(dst []byte, m *Hint) []byte {
	dst = append(appendHeader(dst, TypeHint, 3), m.Band)
	return appendU16(dst, m.Bearing)
}

// Decode fills m from body.
func (m *Hint) Decode(body []byte) error {
	if len(body) < 3 {
		return ErrTruncated
	}
	m.Band, m.Bearing = body[0], le.Uint16(body[1:])
	return nil
}

// ClaimResult is the outcome of a CLAIM.
type ClaimResult struct {
	Request  uint32 `json:"request"`
	Treasure uint32 `json:"treasure"`
	Outcome  uint8  `json:"outcome"`
	Points   uint32 `json:"points"`
	Score    uint32 `json:"score"`
}

// AppendClaimResult appends m to dst.
func AppendClaimResult(dst []byte, m *ClaimResult) []byte {
	dst = appendHeader(dst, TypeClaimResult, 17)
	dst = appendU32(dst, m.Request)
	dst = appendU32(dst, m.Treasure)
	dst = append(dst, m.Outcome)
	dst = appendU32(dst, m.Points)
	return appendU32(dst, m.Score)
}

// Decode fills m from body.
func (m *ClaimResult) Decode(body []byte) error {
	if len(body) < 17 {
		return ErrTruncated
	}
	m.Request, m.Treasure, m.Outcome = le.Uint32(body), le.Uint32(body[4:]), body[8]
	m.Points, m.Score = le.Uint32(body[9:]), le.Uint32(body[13:])
	return nil
}

// Event is something that happened in the hunt.
type Event struct {
	Kind     uint8  `json:"kind"`
	Hunt     uint32 `json:"hunt"`
	Treasure uint32 `json:"treasure"`
	Player   uint32 `json:"player"`
	Lat      int32  `json:"lat"`
	Lng      int32  `json:"lng"`
	Time     uint64 `json:"time"`
}

// AppendEvent appends m to dst.
func AppendEvent(dst []byte, m *Event) []byte {
	dst = append(appendHeader(dst, TypeEvent, 29), m.Kind)
	dst = appendU32(dst, m.Hunt)
	dst = appendU32(dst, m.Treasure)
	dst = appendU32(dst, m.Player)
	dst = appendI32(dst, m.Lat)
	dst = appendI32(dst, m.Lng)
	return appendU64(dst, m.Time)
}

// Decode fills m from body.
func (m *Event) Decode(body []byte) error {
	if len(body) < 29 {
		return ErrTruncated
	}
	m.Kind = body[0]
	m.Hunt, m.Treasure, m.Player = le.Uint32(body[1:]), le.Uint32(body[5:]), le.Uint32(body[9:])
	m.Lat, m.Lng = int32(le.Uint32(body[13:])), int32(le.Uint32(body[17:]))
	m.Time = le.Uint64(body[21:])
	return nil
}

// ErrorMessage reports an error to the client (the ERROR message).
type ErrorMessage struct {
	Code Code `json:"code"`
	Text Text `json:"text"` // at most MaxText bytes; longer is cut
}

// AppendError appends an ERROR message to dst.
func AppendError(dst []byte, m *ErrorMessage) []byte {
	return appendCodeText(dst, TypeError, m.Code, m.Text, MaxText)
}

// Decode fills m from body. m.Text aliases body.
func (m *ErrorMessage) Decode(body []byte) error {
	c, text, err := decodeCodeText(body, MaxText)
	m.Code, m.Text = c, text
	return err
}

// Redirect sends the client to another edge.
type Redirect struct {
	Code Code `json:"code"`
	URL  Text `json:"url"` // at most MaxURL bytes; longer is cut
}

// AppendRedirect appends m to dst.
func AppendRedirect(dst []byte, m *Redirect) []byte {
	return appendCodeText(dst, TypeRedirect, m.Code, m.URL, MaxURL)
}

// Decode fills m from body. m.URL aliases body.
func (m *Redirect) Decode(body []byte) error {
	c, url, err := decodeCodeText(body, MaxURL)
	m.Code, m.URL = c, url
	return err
}

// appendCodeText encodes the shared layout of ERROR and REDIRECT.
func appendCodeText(dst []byte, t Type, c Code, text []byte, max int) []byte {
	dst = appendHeader(dst, t, 4+min(len(text), max))
	return appendBytes16(appendU16(dst, uint16(c)), text, max)
}

func decodeCodeText(body []byte, max int) (Code, []byte, error) {
	if len(body) < 4 {
		return 0, nil, ErrTruncated
	}
	text, _, err := readBytes16(body, 2, max)
	if err != nil {
		return 0, nil, err
	}
	return Code(le.Uint16(body)), text, nil
}

// Pong answers a PING.
type Pong struct {
	Echo uint64 `json:"echo"`
	Time uint64 `json:"time"`
}

// AppendPong appends m to dst.
func AppendPong(dst []byte, m *Pong) []byte {
	dst = appendU64(appendHeader(dst, TypePong, 16), m.Echo)
	return appendU64(dst, m.Time)
}

// Decode fills m from body.
func (m *Pong) Decode(body []byte) error {
	if len(body) < 16 {
		return ErrTruncated
	}
	m.Echo, m.Time = le.Uint64(body), le.Uint64(body[8:])
	return nil
}
