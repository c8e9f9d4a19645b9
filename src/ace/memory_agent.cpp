#include "ace/memory_agent.hpp"

#include <algorithm>

#include "ace/json_util.hpp"
#include "ace/skill_input.hpp"

namespace bizra::ace {

namespace {

using detail::bad_input;

Error cancelled() { return Error("cancelled", "the task was cancelled"); }

json::Value tags_json(const std::vector<std::string>& tags) { return detail::json_strings(tags); }

Result<std::vector<KnowledgeLink>> read_links(const json::Value& input) {
  std::vector<KnowledgeLink> links;
  const json::Value* value = input.find("links");
  if (value == nullptr) return links;
  if (!value->is_array()) return bad_input("links", "must be an array of {to, relation}");
  if (value->items().size() > kMaxKnowledgeLinks)
    return bad_input("links", "more than " + std::to_string(kMaxKnowledgeLinks));
  for (const json::Value& item : value->items()) {
    if (!item.is_object() || detail::unknown_member(item, {"to", "relation"}) != nullptr)
      return bad_input("links", "each link is {to, relation}");
    auto to = detail::read_string(item, "to", 64, true);
    if (!to.ok()) return to.error().with_context("links");
    auto relation = detail::read_string(item, "relation", kMaxRelationBytes, true);
    if (!relation.ok()) return relation.error().with_context("links");
    links.push_back({**to, **relation});
  }
  return links;
}

}  // namespace

std::vector<std::string> MemoryAgent::skills() const {
  return {"memory.consolidate", "memory.link", "memory.neighbourhood", "memory.recall", "memory.store"};
}

Result<json::Value> MemoryAgent::run(std::string_view skill, const json::Value& input, const SkillContext& ctx) {
  if (ctx.cancelled()) return cancelled();
  if (skill == "memory.store") return store(input);
  if (skill == "memory.recall") return recall(input, ctx);
  if (skill == "memory.neighbourhood") return neighbourhood(input, ctx);
  if (skill == "memory.consolidate") return consolidate(input);
  if (skill == "memory.link") return link(input);
  return Error("unknown_skill", "the Memory agent has no skill " + std::string(skill));
}

Result<json::Value> MemoryAgent::store(const json::Value& input) {
  BIZRA_TRY(detail::expect_object(input, {"text", "tags", "source", "links"}));
  NewKnowledge entry;
  auto text = detail::read_string(input, "text", kMaxKnowledgeTextBytes, true);
  if (!text.ok()) return text.error();
  entry.text = **text;
  auto tags = detail::read_strings(input, "tags", kMaxKnowledgeTags, kMaxKnowledgeTagBytes);
  if (!tags.ok()) return tags.error();
  entry.tags = std::move(*tags);
  auto source = detail::read_string(input, "source", kMaxKnowledgeSourceBytes, false);
  if (!source.ok()) return source.error();
  entry.source = source->value_or("");
  auto links = read_links(input);
  if (!links.ok()) return links.error();
  entry.links = std::move(*links);
  auto id = knowledge_.put(entry);
  if (!id.ok()) return id.error();
  return json::Value::object({{"id", json::Value::string(*id)}});
}

Result<json::Value> MemoryAgent::recall(const json::Value& input, const SkillContext& ctx) {
  BIZRA_TRY(detail::expect_object(input, {"query", "limit", "depth"}));
  auto query = detail::read_string(input, "query", kMaxQueryBytes, true);
  if (!query.ok()) return query.error();
  auto limit = detail::read_count(input, "limit", kMaxRecallLimit, kDefaultRecallLimit);
  if (!limit.ok()) return limit.error();
  auto depth = detail::read_count(input, "depth", kMaxNeighbourhoodDepth, 0);
  if (!depth.ok()) return depth.error();
  auto found = knowledge_.recall(**query, static_cast<std::size_t>(*limit));
  if (!found.ok()) return found.error();

  std::vector<json::Value> hits;
  std::vector<std::string> hit_ids;
  for (const RecallHit& hit : *found) {
    auto entry = knowledge_.get(hit.id);
    if (!entry.ok()) return entry.error();
    if (!entry->has_value()) continue;  // consolidated away since the query
    hits.push_back(json::Value::object({{"id", json::Value::string(hit.id)},
                                        {"score", detail::json_double(hit.score)},
                                        {"text", json::Value::string((*entry)->text)},
                                        {"tags", tags_json((*entry)->tags)}}));
    hit_ids.push_back(hit.id);
  }
  std::vector<json::Value::Member> out{{"hits", json::Value::array(std::move(hits))}};
  if (*depth > 0) {
    Neighbourhood graph;
    if (!hit_ids.empty()) {
      if (ctx.cancelled()) return cancelled();
      auto found_graph = knowledge_.neighbourhood(hit_ids, static_cast<std::uint32_t>(*depth));
      if (!found_graph.ok()) return found_graph.error();
      graph = std::move(*found_graph);
    }
    auto members = describe(graph, hit_ids, "neighbourhood");
    if (!members.ok()) return members.error();
    for (auto& member : *members) out.push_back(std::move(member));
  }
  return json::Value::object(std::move(out));
}

Result<json::Value> MemoryAgent::neighbourhood(const json::Value& input, const SkillContext& ctx) {
  BIZRA_TRY(detail::expect_object(input, {"id", "depth"}));
  auto id = detail::read_string(input, "id", 64, true);
  if (!id.ok()) return id.error();
  auto depth = detail::read_count(input, "depth", kMaxNeighbourhoodDepth, 1);
  if (!depth.ok()) return depth.error();
  auto graph = knowledge_.neighbourhood({**id}, static_cast<std::uint32_t>(*depth));
  if (!graph.ok()) return graph.error();
  if (ctx.cancelled()) return cancelled();
  auto members = describe(*graph, {}, "nodes");
  if (!members.ok()) return members.error();
  return json::Value::object(std::move(*members));
}

Result<std::vector<json::Value::Member>> MemoryAgent::describe(const Neighbourhood& graph,
                                                               const std::vector<std::string>& skip,
                                                               std::string_view nodes_field) {
  std::vector<json::Value> nodes;
  for (const Neighbourhood::Node& node : graph.nodes) {
    if (std::find(skip.begin(), skip.end(), node.id) != skip.end()) continue;
    auto entry = knowledge_.get(node.id);
    if (!entry.ok()) return entry.error();
    if (!entry->has_value()) continue;  // a dangling link's target, or consolidated away meanwhile
    nodes.push_back(json::Value::object({{"id", json::Value::string(node.id)},
                                         {"depth", detail::json_uint(node.depth)},
                                         {"text", json::Value::string(detail::utf8_prefix((*entry)->text, kPreviewBytes))},
                                         {"tags", tags_json((*entry)->tags)}}));
  }
  std::vector<json::Value> edges;
  for (const Neighbourhood::Edge& edge : graph.edges)
    edges.push_back(json::Value::object({{"from", json::Value::string(edge.from)},
                                         {"to", json::Value::string(edge.to)},
                                         {"relation", json::Value::string(edge.relation)}}));
  std::vector<json::Value::Member> out;
  out.emplace_back(std::string(nodes_field), json::Value::array(std::move(nodes)));
  out.emplace_back("edges", json::Value::array(std::move(edges)));
  out.emplace_back("truncated", json::Value::boolean(graph.truncated));
  return out;
}

Result<json::Value> MemoryAgent::consolidate(const json::Value& input) {
  BIZRA_TRY(detail::expect_object(input, {}));
  auto report = knowledge_.consolidate();
  if (!report.ok()) return report.error();
  return json::Value::object({{"merged", detail::json_uint(report->merged)},
                              {"removed_links", detail::json_uint(report->removed_links)}});
}

Result<json::Value> MemoryAgent::link(const json::Value& input) {
  BIZRA_TRY(detail::expect_object(input, {"from", "to", "relation"}));
  auto from = detail::read_string(input, "from", 64, true);
  if (!from.ok()) return from.error();
  auto to = detail::read_string(input, "to", 64, true);
  if (!to.ok()) return to.error();
  auto relation = detail::read_string(input, "relation", kMaxRelationBytes, true);
  if (!relation.ok()) return relation.error();
  BIZRA_TRY(knowledge_.link(**from, **to, **relation));
  return json::Value::object({{"from", json::Value::string(**from)},
                              {"to", json::Value::string(**to)},
                              {"relation", json::Value::string(**relation)}});
}

}  // namespace bizra::ace
