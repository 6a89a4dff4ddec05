// The web pages (web/, issue 16), compiled into the binary by CMake
// (generated/web_assets.cpp), so that the server needs no install directory
// and a page can never be of another version than the API it calls.
#pragma once

#include <string_view>
#include <vector>

namespace boxoffice::http {

struct web_asset {
  std::string_view name;  // the file's name in web/, e.g. "app.js"
  std::string_view body;
};

// Every file of web/, in name order.
const std::vector<web_asset>& web_assets();

} // namespace boxoffice::http
