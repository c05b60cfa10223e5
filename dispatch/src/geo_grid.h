// GeoGrid: the dispatch engine's spatial index. Points on the WGS84 ellipsoid
// are stored as Earth-centred (ECEF) 3D coordinates in a hash map of cubic
// cells; a query visits the cells near the query point ring by ring, so that
// every point whose chord (straight 3D distance) to the query is within a
// caller-given bound is visited, and the search stops as soon as the next ring
// is farther than that bound.
//
// Why chords: the geodesic between two points is never shorter than their
// chord, so the chord is a cheap lower bound. The caller computes the exact
// WGS84 geodesic only for the few points whose chord is within its current
// best geodesic, and shrinks the bound as it finds better ones: exact
// geodesic nearest with few GeographicLib Inverse calls.
//
// Why this shape: ECEF has no antimeridian and no poles (they are ordinary
// points in 3D), so nothing special happens at lon +-180 or lat +-90. Points
// lie on a 2D surface, so a query walks a 2D window of cell columns over the
// two axes most perpendicular to the surface normal at the query point, and
// for each column only the one to three cells the ellipsoid crosses. Updates
// are O(1): a moved point stays in its cell or hops to another
// (swap-remove + push), so 100,000 responders moving every few seconds cost
// little. Searches wider than kMaxRingMeters (only with an unusual
// max_radius_meters) fall back to visiting every point.
#ifndef MAYDAY_DISPATCH_SRC_GEO_GRID_H_
#define MAYDAY_DISPATCH_SRC_GEO_GRID_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "mayday/dispatch/engine.h"

namespace mayday::dispatch {

// A point in Earth-centred, Earth-fixed coordinates, metres.
struct Ecef {
  double x = 0;
  double y = 0;
  double z = 0;
};

// `p` (a valid point) on the WGS84 ellipsoid surface, as ECEF.
Ecef ToEcef(const GeoPoint& p);

// The straight 3D distance between `a` and `b`, metres.
double ChordMeters(const Ecef& a, const Ecef& b);

// Slack added to chord bounds: covers rounding in ECEF coordinates and in the
// geodesic (both well under a micrometre), so that a point whose computed
// geodesic equals the bound is never pruned.
inline constexpr double kChordSlackMeters = 1e-3;

// Whether a point `chord` metres from another (ChordMeters) is certainly
// within `radius` metres of it along the surface, without the geodesic. A
// chord is never longer than the geodesic, which exceeds it by about
// L^3 / (24 R^2) for a chord L on a surface of curvature radius R (13 cm at
// 50 km, 130 m at 500 km on WGS84), so a chord 0.1% short of a radius of up
// to 500 km leaves a wide margin; beyond that, ask the geodesic.
inline constexpr double kSurelyWithinFraction = 0.999;
inline constexpr double kSurelyWithinMaxRadiusMeters = 500'000;
inline bool SurelyWithin(double chord, double radius) {
  return radius <= kSurelyWithinMaxRadiusMeters && chord <= kSurelyWithinFraction * radius;
}

class GeoGrid {
 public:
  // Beyond this search radius a query visits every point (no ring walk).
  static constexpr double kMaxRingMeters = 1'000'000;

  // `cell_meters`: side of a cell (> 0). About the typical nearest-responder
  // distance is a good choice.
  explicit GeoGrid(double cell_meters);

  // Inserts `handle` at `p`, or moves it there.
  void Upsert(uint32_t handle, const Ecef& p);
  // Removes `handle`; no-op if absent.
  void Erase(uint32_t handle);
  bool Contains(uint32_t handle) const {
    return handle < where_.size() && where_[handle].cell != nullptr;
  }
  size_t size() const { return size_; }

  // Calls `visit(handle, chord)` for every stored point whose chord to `q` is
  // at most bound() + kChordSlackMeters, where bound() is re-read as the
  // search goes (the visitor may shrink it), nearest chords first within each
  // ring. Points farther than that may or may not be visited. `bound` must
  // never grow during one search.
  void Search(const Ecef& q, const std::function<double()>& bound,
              const std::function<void(uint32_t handle, double chord)>& visit) const;

 private:
  struct Entry {
    Ecef p;
    uint32_t handle;
  };
  using Cell = std::vector<Entry>;
  struct Where {
    Cell* cell = nullptr;
    uint64_t key = 0;
    uint32_t index = 0;
  };

  int64_t CellIndex(double v) const;
  static uint64_t Key(int64_t ix, int64_t iy, int64_t iz);
  uint64_t KeyOf(const Ecef& p) const;
  // Appends to `out` the points of cell `key` with chord <= limit.
  void Collect(uint64_t key, const Ecef& q, double limit,
               std::vector<std::pair<double, uint32_t>>* out) const;

  const double cell_;
  // Cells are heap-allocated so that Where::cell stays valid while the map
  // rehashes.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Cell>> cells_;
  std::vector<Where> where_;  // by handle
  size_t size_ = 0;
};

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_SRC_GEO_GRID_H_
