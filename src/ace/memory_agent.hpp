#pragma once
// The Memory agent (L2, ../shared/spec/ace.md): the node's knowledge store as skills.
//
//   memory.store        {text, tags?, source?, links?:[{to, relation}]} -> {id}
//   memory.recall       {query, limit? (1..50, default 10), depth? (0..4, default 0)}
//                       -> {hits:[{id, score, text, tags}], and when depth > 0:
//                           neighbourhood:[{id, depth, text, tags}] (entries linked to the hits,
//                           hits excluded), edges:[{from, to, relation}], truncated}
//   memory.neighbourhood {id, depth? (0..4, default 1)}
//                       -> {nodes:[{id, depth, text, tags}], edges:[...], truncated}
//   memory.consolidate  {} -> {merged, removed_links}
//   memory.link         {from, to, relation} -> {from, to, relation}
// Errors: "unknown_skill", "bad_input" (the message names the field), "not_found" (an id),
// "cancelled", storage errors. Texts in neighbourhood nodes are cut to kPreviewBytes.

#include <string>
#include <string_view>
#include <vector>

#include "ace/agent.hpp"
#include "ace/knowledge.hpp"

namespace bizra::ace {

class MemoryAgent final : public Agent {
 public:
  static constexpr std::size_t kPreviewBytes = 1024;
  static constexpr std::size_t kDefaultRecallLimit = 10;

  // `knowledge` must outlive the agent.
  explicit MemoryAgent(KnowledgeStore& knowledge) : knowledge_(knowledge) {}

  AgentKind kind() const override { return AgentKind::kMemory; }
  std::vector<std::string> skills() const override;
  Result<json::Value> run(std::string_view skill, const json::Value& input, const SkillContext& ctx) override;
  // recall and neighbourhood only read; store, link and consolidate write the knowledge store.
  bool rerunnable(std::string_view skill) const override {
    return skill == "memory.recall" || skill == "memory.neighbourhood";
  }

 private:
  Result<json::Value> store(const json::Value& input);
  Result<json::Value> recall(const json::Value& input, const SkillContext& ctx);
  Result<json::Value> neighbourhood(const json::Value& input, const SkillContext& ctx);
  Result<json::Value> consolidate(const json::Value& input);
  Result<json::Value> link(const json::Value& input);
  // The members {<nodes_field>:[nodes with previews], edges, truncated} of a neighbourhood,
  // leaving out the nodes in `skip`.
  Result<std::vector<json::Value::Member>> describe(const Neighbourhood& graph, const std::vector<std::string>& skip,
                               std::string_view nodes_field);

  KnowledgeStore& knowledge_;
};

}  // namespace bizra::ace
