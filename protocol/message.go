package protocol

// Message is implemented by a pointer to every message struct. The hot path
// calls the concrete AppendX functions and Decode methods; Message serves
// generic code (the client library, golden vectors, fuzzing).
type Message interface {
	Type() Type
	// AppendTo appends the encoded message, header included, to dst.
	AppendTo(dst []byte) []byte
	// Decode fills the message from a body returned by Split.
	Decode(body []byte) error
}

// NewMessage returns a new zero message of type t, or nil if this version does
// not know t.
func NewMessage(t Type) Message {
	switch t {
	case TypeHello:
		return new(Hello)
	case TypePosition:
		return new(Position)
	case TypeClaim:
		return new(Claim)
	case TypePing:
		return new(Ping)
	case TypeBye:
		return new(Bye)
	case TypeToken:
		return new(Token)
	case TypeWelcome:
		return new(Welcome)
	case TypeCellUpdate:
		return new(CellUpdate)
	case TypeTreasures:
		return new(Treasures)
	case TypeHint:
		return new(Hint)
	case TypeClaimResult:
		return new(ClaimResult)
	case TypeEvent:
		return new(Event)
	case TypeHuntStatus:
		return new(HuntStatus)
	case TypeError:
		return new(ErrorMessage)
	case TypeRedirect:
		return new(Redirect)
	case TypePong:
		return new(Pong)
	case TypeCellSummary:
		return new(CellSummary)
	case TypeTickRate:
		return new(TickRate)
	case TypeFineCell:
		return new(FineCell)
	}
	return nil
}

// DecodeMessage decodes one message body of type t into a new message. It
// returns ErrUnknownType for a type this version does not know.
func DecodeMessage(t Type, body []byte) (Message, error) {
	m := NewMessage(t)
	if m == nil {
		return nil, ErrUnknownType
	}
	if err := m.Decode(body); err != nil {
		return nil, err
	}
	return m, nil
}

func (*Hello) Type() Type        { return TypeHello }
func (*Position) Type() Type     { return TypePosition }
func (*Claim) Type() Type        { return TypeClaim }
func (*Ping) Type() Type         { return TypePing }
func (*Bye) Type() Type          { return TypeBye }
func (*Token) Type() Type        { return TypeToken }
func (*Welcome) Type() Type      { return TypeWelcome }
func (*CellUpdate) Type() Type   { return TypeCellUpdate }
func (*Treasures) Type() Type    { return TypeTreasures }
func (*Hint) Type() Type         { return TypeHint }
func (*ClaimResult) Type() Type  { return TypeClaimResult }
func (*Event) Type() Type        { return TypeEvent }
func (*HuntStatus) Type() Type   { return TypeHuntStatus }
func (*ErrorMessage) Type() Type { return TypeError }
func (*Redirect) Type() Type     { return TypeRedirect }
func (*Pong) Type() Type         { return TypePong }

func (m *Hello) AppendTo(dst []byte) []byte        { return AppendHello(dst, m) }
func (m *Position) AppendTo(dst []byte) []byte     { return AppendPosition(dst, m) }
func (m *Claim) AppendTo(dst []byte) []byte        { return AppendClaim(dst, m) }
func (m *Ping) AppendTo(dst []byte) []byte         { return AppendPing(dst, m) }
func (m *Bye) AppendTo(dst []byte) []byte          { return AppendBye(dst, m) }
func (m *Token) AppendTo(dst []byte) []byte        { return AppendToken(dst, m) }
func (m *Welcome) AppendTo(dst []byte) []byte      { return AppendWelcome(dst, m) }
func (m *CellUpdate) AppendTo(dst []byte) []byte   { return AppendCellUpdate(dst, m) }
func (m *Treasures) AppendTo(dst []byte) []byte    { return AppendTreasures(dst, m) }
func (m *Hint) AppendTo(dst []byte) []byte         { return AppendHint(dst, m) }
func (m *ClaimResult) AppendTo(dst []byte) []byte  { return AppendClaimResult(dst, m) }
func (m *Event) AppendTo(dst []byte) []byte        { return AppendEvent(dst, m) }
func (m *HuntStatus) AppendTo(dst []byte) []byte   { return AppendHuntStatus(dst, m) }
func (m *ErrorMessage) AppendTo(dst []byte) []byte { return AppendError(dst, m) }
func (m *Redirect) AppendTo(dst []byte) []byte     { return AppendRedirect(dst, m) }
func (m *Pong) AppendTo(dst []byte) []byte         { return AppendPong(dst, m) }
