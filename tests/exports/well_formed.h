// xmllint's verdict on an XML document, for the exports' tests.
#ifndef MAYDAY_TESTS_EXPORTS_WELL_FORMED_H_
#define MAYDAY_TESTS_EXPORTS_WELL_FORMED_H_

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace mayday::exports {

// True if `xml` is well-formed XML (xmllint --noout accepts it).
inline bool WellFormed(const std::string& xml) {
  char path[] = "/tmp/mayday-xml-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << xml;
  const std::string command = std::string("xmllint --noout ") + path + " 2>&1";
  const int status = std::system(command.c_str());
  std::remove(path);
  INFO("xmllint is in libxml2-utils, which tools/dev installs");
  REQUIRE(status != 127 * 256);
  return status == 0;
}

}  // namespace mayday::exports

#endif  // MAYDAY_TESTS_EXPORTS_WELL_FORMED_H_
