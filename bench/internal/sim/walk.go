package sim

import (
	"math"
	"math/rand/v2"
)

// metresPerDegLat is the length of a degree of latitude.
const metresPerDegLat = 111_320.0

// walker moves one simulated player. Roamers random-walk the city at
// walking or cycling speed, turning back at its edge; hotspot players mill
// around their hotspot, pulled back towards it (a crowd at a live event);
// stadium players (the crowd scenario) stand uniformly within a disc and
// shuffle about without leaving it.
type walker struct {
	lat, lng float64
	heading  float64
	speed    float64 // m/s
	home     [2]float64
	spread   float64 // hotspot players: typical distance from home, m
	radius   float64 // stadium players: the disc around home they stay in, m
	city     [2]float64
	halfLat  float64 // city half-size in degrees of latitude
	halfLng  float64
	rng      *rand.Rand
}

func newWalker(rng *rand.Rand, city [2]float64, sizeKm float64, hotspot *[2]float64, spread float64) *walker {
	w := &walker{rng: rng, city: city, halfLat: sizeKm * 500 / metresPerDegLat}
	w.halfLng = w.halfLat / math.Cos(city[0]*math.Pi/180)
	w.heading = rng.Float64() * 2 * math.Pi
	switch {
	case hotspot != nil:
		w.home, w.spread = *hotspot, spread
		w.speed = 0.3 + rng.Float64()*1.0 // shuffling in a crowd
		d := math.Abs(rng.NormFloat64()) * spread
		w.lat, w.lng = w.offset(w.home, d, w.heading)
	default:
		w.speed = 1 + rng.Float64()*1.0 // walking
		if rng.IntN(5) == 0 {
			w.speed = 4 + rng.Float64()*2 // cycling
		}
		w.lat = city[0] + (rng.Float64()*2-1)*w.halfLat
		w.lng = city[1] + (rng.Float64()*2-1)*w.halfLng
	}
	return w
}

// newDiskWalker places a stadium player uniformly within radius metres of
// centre (distance radius·√u: the area within r grows as r²), shuffling.
func newDiskWalker(rng *rand.Rand, centre [2]float64, radius float64) *walker {
	w := &walker{rng: rng, home: centre, radius: radius}
	w.heading = rng.Float64() * 2 * math.Pi
	w.speed = 0.3 + rng.Float64()*1.0
	w.lat, w.lng = w.offset(centre, radius*math.Sqrt(rng.Float64()), w.heading)
	return w
}

// fromHome is the distance (m) from home to (lat, lng).
func (w *walker) fromHome(lat, lng float64) float64 {
	dLat := (lat - w.home[0]) * metresPerDegLat
	dLng := (lng - w.home[1]) * metresPerDegLat * math.Cos(lat*math.Pi/180)
	return math.Hypot(dLat, dLng)
}

// headHome turns the walker towards home.
func (w *walker) headHome() {
	dLat := (w.home[0] - w.lat) * metresPerDegLat
	dLng := (w.home[1] - w.lng) * metresPerDegLat * math.Cos(w.lat*math.Pi/180)
	w.heading = math.Atan2(dLng, dLat)
}

// offset is p moved d metres towards heading.
func (w *walker) offset(p [2]float64, d, heading float64) (lat, lng float64) {
	lat = p[0] + d*math.Cos(heading)/metresPerDegLat
	lng = p[1] + d*math.Sin(heading)/(metresPerDegLat*math.Cos(p[0]*math.Pi/180))
	return lat, lng
}

// step advances the walker by dt seconds and returns its position and the
// accuracy (m) a phone would report.
func (w *walker) step(dt float64) (lat, lng, accuracy float64) {
	w.heading += w.rng.NormFloat64() * 0.3
	if w.radius > 0 { // a step that would leave the disc goes towards home
		if lat, lng := w.offset([2]float64{w.lat, w.lng}, w.speed*dt, w.heading); w.fromHome(lat, lng) > w.radius {
			w.headHome()
		}
	} else if w.spread > 0 {
		if w.fromHome(w.lat, w.lng) > 2*w.spread {
			w.headHome()
		}
	} else if math.Abs(w.lat-w.city[0]) > w.halfLat || math.Abs(w.lng-w.city[1]) > w.halfLng {
		w.heading = math.Atan2(w.city[1]-w.lng, w.city[0]-w.lat) // back into the city
	}
	w.lat, w.lng = w.offset([2]float64{w.lat, w.lng}, w.speed*dt, w.heading)
	return w.lat, w.lng, 3 + w.rng.Float64()*7
}
