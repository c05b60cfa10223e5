// Plain-text tables for maydayctl: columns padded to their widest cell and
// separated by two spaces, the way `kubectl get` prints them.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_TABLE_H_
#define MAYDAY_TOOLS_MAYDAYCTL_TABLE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mayday::tools {

// Rows of text cells rendered with aligned columns. Not thread-safe; build it
// on one thread.
class Table {
 public:
  // A table whose first line is `header`; an empty header prints no header
  // line (useful for timelines and key/value lists).
  explicit Table(std::vector<std::string> header);

  // Appends a row. Rows shorter than the widest row are padded with empty
  // cells; longer ones widen the table.
  void AddRow(std::vector<std::string> cells);

  // Number of rows added, not counting the header.
  std::size_t row_count() const { return rows_.size(); }

  // Returns the table, one '\n'-terminated line per row. The last column is
  // not padded, so lines carry no trailing spaces. Widths count UTF-8 code
  // points, so "±" takes one column.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Number of terminal columns `text` takes, counting UTF-8 code points.
std::size_t DisplayWidth(absl::string_view text);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_TABLE_H_
