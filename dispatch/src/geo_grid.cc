// GeoGrid: ECEF cells in a hash map, searched ring by ring (see geo_grid.h).
#include "geo_grid.h"

#include <GeographicLib/Constants.hpp>
#include <GeographicLib/Geocentric.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace mayday::dispatch {
namespace {

constexpr int64_t kIndexOffset = int64_t{1} << 20;  // cell indices in 21 bits
constexpr uint64_t kIndexMask = (uint64_t{1} << 21) - 1;

// Margin, metres, around the ellipsoid's extent in a cell column: covers
// rounding when solving the ellipsoid equation (well under 0.1 m).
constexpr double kSurfaceMarginMeters = 1;

double Square(double v) { return v * v; }

// min and max of v^2 over [lo, hi].
std::pair<double, double> SquareRange(double lo, double hi) {
  const double max_sq = std::max(Square(lo), Square(hi));
  const double min_sq = (lo <= 0 && hi >= 0) ? 0 : std::min(Square(lo), Square(hi));
  return {min_sq, max_sq};
}

double Axis(const Ecef& p, int axis) { return axis == 0 ? p.x : axis == 1 ? p.y : p.z; }

}  // namespace

Ecef ToEcef(const GeoPoint& p) {
  Ecef e;
  GeographicLib::Geocentric::WGS84().Forward(p.latitude_deg, p.longitude_deg, 0, e.x, e.y, e.z);
  return e;
}

double ChordMeters(const Ecef& a, const Ecef& b) {
  return std::sqrt(Square(a.x - b.x) + Square(a.y - b.y) + Square(a.z - b.z));
}

GeoGrid::GeoGrid(double cell_meters) : cell_(std::max(cell_meters, 10.0)) {}

int64_t GeoGrid::CellIndex(double v) const { return static_cast<int64_t>(std::floor(v / cell_)); }

uint64_t GeoGrid::Key(int64_t ix, int64_t iy, int64_t iz) {
  return (static_cast<uint64_t>(ix + kIndexOffset) & kIndexMask) |
         ((static_cast<uint64_t>(iy + kIndexOffset) & kIndexMask) << 21) |
         ((static_cast<uint64_t>(iz + kIndexOffset) & kIndexMask) << 42);
}

uint64_t GeoGrid::KeyOf(const Ecef& p) const {
  return Key(CellIndex(p.x), CellIndex(p.y), CellIndex(p.z));
}

void GeoGrid::Upsert(uint32_t handle, const Ecef& p) {
  if (handle >= where_.size()) where_.resize(handle + 1);
  const uint64_t key = KeyOf(p);
  Where& w = where_[handle];
  if (w.cell != nullptr && w.key == key) {
    (*w.cell)[w.index].p = p;
    return;
  }
  Erase(handle);
  std::unique_ptr<Cell>& cell = cells_[key];
  if (cell == nullptr) cell = std::make_unique<Cell>();
  cell->push_back(Entry{p, handle});
  w = Where{cell.get(), key, static_cast<uint32_t>(cell->size() - 1)};
  ++size_;
}

void GeoGrid::Erase(uint32_t handle) {
  if (!Contains(handle)) return;
  Where& w = where_[handle];
  Cell& cell = *w.cell;
  if (w.index + 1 != cell.size()) {
    cell[w.index] = cell.back();
    where_[cell[w.index].handle].index = w.index;
  }
  cell.pop_back();
  if (cell.empty()) cells_.erase(w.key);
  w = Where{};
  --size_;
}

void GeoGrid::Collect(uint64_t key, const Ecef& q, double limit,
                      std::vector<std::pair<double, uint32_t>>* out) const {
  auto it = cells_.find(key);
  if (it == cells_.end()) return;
  for (const Entry& e : *it->second) {
    const double chord = ChordMeters(q, e.p);
    if (chord <= limit) out->emplace_back(chord, e.handle);
  }
}

void GeoGrid::Search(const Ecef& q, const std::function<double()>& bound,
                     const std::function<void(uint32_t, double)>& visit) const {
  std::vector<std::pair<double, uint32_t>> found;
  auto visit_found = [&] {
    std::sort(found.begin(), found.end());
    for (const auto& [chord, handle] : found) {
      if (chord > bound() + kChordSlackMeters) break;
      visit(handle, chord);
    }
    found.clear();
  };

  const double initial = bound() + kChordSlackMeters;
  const double window_cells = 2 * initial / cell_ + 3;
  if (initial > kMaxRingMeters || window_cells * window_cells > 2.0 * cells_.size()) {
    // Wider than the ring walk is worth: look at every point.
    for (const auto& [key, cell] : cells_) {
      for (const Entry& e : *cell) {
        const double chord = ChordMeters(q, e.p);
        if (chord <= initial) found.emplace_back(chord, e.handle);
      }
    }
    visit_found();
    return;
  }

  // Walk columns over the two axes (a, b) most perpendicular to the surface
  // at q; the ellipsoid is a graph c = +-f(a, b) over them there, on q's side.
  const double qx = std::abs(q.x), qy = std::abs(q.y), qz = std::abs(q.z);
  const int c_axis = (qz >= qx && qz >= qy) ? 2 : (qy >= qx ? 1 : 0);
  const int a_axis = c_axis == 0 ? 1 : 0;
  const int b_axis = c_axis == 2 ? 1 : 2;
  const double equatorial = GeographicLib::Constants::WGS84_a();
  const double polar = equatorial * (1 - GeographicLib::Constants::WGS84_f());
  auto semi_axis = [&](int axis) { return axis == 2 ? polar : equatorial; };
  const double sa = semi_axis(a_axis), sb = semi_axis(b_axis), sc = semi_axis(c_axis);
  const double qa = Axis(q, a_axis), qb = Axis(q, b_axis), qc = Axis(q, c_axis);
  const int64_t ia = CellIndex(qa), ib = CellIndex(qb);

  auto column = [&](int64_t ja, int64_t jb) {
    const double a0 = static_cast<double>(ja) * cell_, b0 = static_cast<double>(jb) * cell_;
    const auto [min_a2, max_a2] = SquareRange(a0, a0 + cell_);
    const auto [min_b2, max_b2] = SquareRange(b0, b0 + cell_);
    const double t_hi = 1 - min_a2 / Square(sa) - min_b2 / Square(sb);
    if (t_hi < -1e-9) return;  // the column misses the ellipsoid
    const double t_lo = std::max(0.0, 1 - max_a2 / Square(sa) - max_b2 / Square(sb));
    const double c_lo = sc * std::sqrt(t_lo) - kSurfaceMarginMeters;
    const double c_hi = sc * std::sqrt(std::max(0.0, t_hi)) + kSurfaceMarginMeters;
    const int64_t jc_lo = qc >= 0 ? CellIndex(c_lo) : CellIndex(-c_hi);
    const int64_t jc_hi = qc >= 0 ? CellIndex(c_hi) : CellIndex(-c_lo);
    const double limit = bound() + kChordSlackMeters;
    for (int64_t jc = jc_lo; jc <= jc_hi; ++jc) {
      int64_t idx[3];
      idx[a_axis] = ja;
      idx[b_axis] = jb;
      idx[c_axis] = jc;
      Collect(Key(idx[0], idx[1], idx[2]), q, limit, &found);
    }
  };

  for (int64_t k = 0;; ++k) {
    if (k > 0) {
      // Every point in ring k projects outside this square around q.
      const double lo_a = static_cast<double>(ia - k + 1) * cell_;
      const double hi_a = static_cast<double>(ia + k) * cell_;
      const double lo_b = static_cast<double>(ib - k + 1) * cell_;
      const double hi_b = static_cast<double>(ib + k) * cell_;
      const double ring_distance = std::min({qa - lo_a, hi_a - qa, qb - lo_b, hi_b - qb});
      if (ring_distance > bound() + kChordSlackMeters) return;
    }
    if (k == 0) {
      column(ia, ib);
    } else {
      for (int64_t d = -k; d <= k; ++d) {
        column(ia + d, ib - k);
        column(ia + d, ib + k);
      }
      for (int64_t d = -k + 1; d <= k - 1; ++d) {
        column(ia - k, ib + d);
        column(ia + k, ib + d);
      }
    }
    visit_found();
  }
}

}  // namespace mayday::dispatch
