// Column alignment for maydayctl's tables.
#include "maydayctl/table.h"

#include <algorithm>
#include <utility>

namespace mayday::tools {

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

std::size_t DisplayWidth(absl::string_view text) {
  std::size_t width = 0;
  for (char c : text) {
    // Count every byte that does not continue a multi-byte sequence.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string Table::Render() const {
  std::vector<const std::vector<std::string>*> lines;
  if (!header_.empty()) lines.push_back(&header_);
  for (const auto& row : rows_) lines.push_back(&row);

  std::vector<std::size_t> widths;
  for (const auto* line : lines) {
    if (line->size() > widths.size()) widths.resize(line->size(), 0);
    for (std::size_t i = 0; i < line->size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth((*line)[i]));
    }
  }

  std::string out;
  for (const auto* line : lines) {
    // Drop trailing empty cells so that no line ends in spaces.
    std::size_t used = line->size();
    while (used > 0 && (*line)[used - 1].empty()) --used;
    for (std::size_t i = 0; i < used; ++i) {
      const std::string& cell = (*line)[i];
      out += cell;
      if (i + 1 < used) {
        out.append(widths[i] - DisplayWidth(cell) + 2, ' ');
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace mayday::tools
