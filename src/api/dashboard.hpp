#pragma once
// GET /dashboard: the web dashboard, one static page compiled into the binary (from
// src/api/dashboard/dashboard.html) so a node serves it with no files to install. The page reads
// the node's own API (/health, /api/v1/consensus/status, /api/v1/network/peers, /ace/agents) and
// subscribes to /ws; it computes nothing itself.

#include <string_view>

#include "http/router.hpp"

namespace bizra::api {

std::string_view dashboard_html();
void mount_dashboard_route(http::Router& router);

}  // namespace bizra::api
