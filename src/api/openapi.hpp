#pragma once
// GET /openapi.json: an OpenAPI 3.0.3 description of every route the node serves (docs/api.md's
// route table, with request and response schemas). The description is built from one table in
// openapi.cpp; a test checks that the table and the server's routes are the same set, so neither
// can drift from the other.

#include <string>
#include <utility>
#include <vector>

#include "http/router.hpp"

namespace bizra::api {

// (method, path pattern) of every documented route, in table order.
std::vector<std::pair<std::string, std::string>> documented_routes();

// The OpenAPI document (JSON text).
std::string openapi_json(std::string_view version);

void mount_openapi_route(http::Router& router, std::string version);

}  // namespace bizra::api
