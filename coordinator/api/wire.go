package api

import "github.com/veltrix/veltrix/coordinator/wire"

// The bodies this API reads and writes are defined by coordinator/wire, the
// edge↔coordinator contract that edges and tools import without linking the
// coordinator. These aliases keep the coordinator's own code short.
type (
	StreamMessage  = wire.StreamMessage
	HuntSummary    = wire.HuntSummary
	HuntDetail     = wire.HuntDetail
	HuntStatus     = wire.HuntStatus
	ClaimsRequest  = wire.ClaimsRequest
	ClaimsResponse = wire.ClaimsResponse
	LoadReport     = wire.LoadReport
	Identity       = wire.Identity
	HuntRequest    = wire.HuntRequest
	AreaRequest    = wire.AreaRequest
	TokenRequest   = wire.TokenRequest
)

// Limits of the contract.
const (
	MaxClaimsPerRequest = wire.MaxClaimsPerRequest
	MaxHuntsPerReport   = wire.MaxHuntsPerReport
	MaxEdgeIDLen        = wire.MaxEdgeIDLen
)

// ValidEdgeID is wire.ValidEdgeID.
func ValidEdgeID(id string) bool { return wire.ValidEdgeID(id) }
