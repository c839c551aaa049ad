package geo

import "fmt"

// Band is a hot/cold distance band. The wire protocol carries it as one
// byte (protocol HINT), so the numbers below are fixed forever; a test
// checks that protocol's constants match.
type Band uint8

// Distance bands, by the distance to the nearest treasure.
const (
	BandUnknown  Band = 0 // no treasure to point at
	BandBurning  Band = 1 // < 25 m
	BandHot      Band = 2 // < 100 m
	BandWarm     Band = 3 // < 300 m
	BandCool     Band = 4 // < 1 km
	BandCold     Band = 5 // < 3 km
	BandFreezing Band = 6 // 3 km or more
)

// bandLimits[i] is the upper limit, in metres, of Band(i+1).
var bandLimits = [...]float64{25, 100, 300, 1000, 3000}

// BandOf returns the band of a distance in metres. NaN is BandUnknown.
func BandOf(metres float64) Band {
	if metres != metres {
		return BandUnknown
	}
	for i, lim := range bandLimits {
		if metres < lim {
			return Band(i + 1)
		}
	}
	return BandFreezing
}

var bandNames = [...]string{"unknown", "burning", "hot", "warm", "cool", "cold", "freezing"}

func (b Band) String() string {
	if int(b) < len(bandNames) {
		return bandNames[b]
	}
	return fmt.Sprintf("band(%d)", uint8(b))
}
