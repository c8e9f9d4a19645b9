#include "ace/security_agent.hpp"

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <span>
#include <utility>

#include "ace/json_util.hpp"
#include "ace/skill_input.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/ed25519.hpp"
#include "poi/attestation.hpp"

namespace bizra::ace {
namespace {

constexpr std::size_t kMaxSkillBytes = 64;
constexpr std::size_t kMaxRequesterBytes = 256;
constexpr std::string_view kPublicKeyPrefix = "ed25519:";

using detail::bad_input;

Result<std::string> required_string(const json::Value& input, std::string_view field, std::size_t max_bytes) {
  const json::Value* value = input.find(field);
  if (value == nullptr || !value->is_string()) return bad_input(field, "expected a string");
  if (value->as_string().size() > max_bytes)
    return bad_input(field, "longer than " + std::to_string(max_bytes) + " bytes");
  return value->as_string();
}

json::Value error_json(const Error& error) {
  return json::Value::object(
      {{"code", json::Value::string(std::string(error.code()))}, {"message", json::Value::string(error.message())}});
}

std::string attestation_id(const json::Value& document) {
  return hex::encode(poi::digest_of(poi::canonical_form(document)));
}

// Stateless mode: the network is whatever the document names (only the form of the genesis root
// is checked), any well-formed block_ref counts as finalized and no nonce as used.
Result<poi::ValidationContext> stateless_context(const poi::Attestation& doc, std::int64_t now) {
  auto genesis = hex::decode_fixed<Hash32::kSize>(doc.anchor.genesis_root);
  if (!genesis || !hex::is_lower_hex(doc.anchor.genesis_root))
    return Error("wrong_chain", "anchor.genesis_root: expected 64 lowercase hex digits");
  poi::ValidationContext context;
  context.chain_id = doc.anchor.chain_id;
  context.genesis_root = *genesis;
  context.now = now;
  context.is_finalized_block = [](const Hash32&) { return true; };
  return context;
}

class SecurityAgent final : public Agent {
 public:
  explicit SecurityAgent(SecurityOptions options) : options_(std::move(options)) {}

  AgentKind kind() const override { return AgentKind::kSecurity; }

  std::vector<std::string> skills() const override {
    std::vector<std::string> names;
    for (const SkillRow& row : skill_table()) names.emplace_back(row.name);
    std::sort(names.begin(), names.end());
    return names;
  }

  Result<json::Value> run(std::string_view skill, const json::Value& input, const SkillContext& ctx) override {
    for (const SkillRow& row : skill_table())
      if (row.name == skill) return (this->*row.run)(input, ctx);
    return Error("unknown_skill", "the Security agent has no skill \"" + std::string(skill) + "\"");
  }

  // Every skill only reads: documents, signatures, files under the evidence root, the policy.
  bool rerunnable(std::string_view) const override { return true; }

 private:
  using SkillFn = Result<json::Value> (SecurityAgent::*)(const json::Value&, const SkillContext&) const;
  struct SkillRow {
    std::string_view name;
    SkillFn run;
  };
  static std::span<const SkillRow> skill_table();

  std::int64_t unix_now() const {
    if (options_.unix_now) return options_.unix_now();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // poi::validate's stages, with the context chosen once the document is parsed.
  Result<poi::ValidatedAttestation> validate(const poi::Attestation& doc) const {
    auto context = options_.validation_context ? Result<poi::ValidationContext>(options_.validation_context())
                                               : stateless_context(doc, unix_now());
    if (!context) return context.error();
    auto out = poi::check_rules(doc, *context);
    if (!out) return out.error();
    out->digest = poi::digest_of(poi::canonical_form(doc.json));
    out->id = hex::encode(out->digest);
    auto signature = poi::check_signature(doc, out->pubkey, out->digest);
    if (!signature) return signature.error();
    out->signature = *signature;
    return out;
  }

  Result<json::Value> verify_attestation(const json::Value& input, const SkillContext&) const {
    BIZRA_TRY(detail::expect_object(input, {"attestation"}));
    const json::Value* document = input.find("attestation");
    if (document == nullptr || !(document->is_object() || document->is_string()))
      return bad_input("attestation", "expected an object or the document's JSON text");
    // The document text as given keeps its number literals (rule 8 reads them exactly); an
    // object's canonical form denotes the same numbers.
    const std::string text = document->is_string() ? document->as_string() : jcs::serialize(*document);

    std::vector<json::Value::Member> out;
    out.emplace_back("checks", json::Value::string(options_.validation_context ? "full" : "stateless"));
    auto parsed = poi::parse(text);
    if (!parsed) {
      out.emplace_back("valid", json::Value::boolean(false));
      out.emplace_back("id", document->is_object() ? json::Value::string(attestation_id(*document)) : json::Value::null());
      out.emplace_back("error", error_json(parsed.error()));
      return json::Value::object(std::move(out));
    }
    auto validated = validate(*parsed);
    out.emplace_back("valid", json::Value::boolean(validated.ok()));
    out.emplace_back("id", json::Value::string(validated ? validated->id : attestation_id(parsed->json)));
    if (validated)
      out.emplace_back("attester", json::Value::string(validated->attester_id));
    else
      out.emplace_back("error", error_json(validated.error()));
    return json::Value::object(std::move(out));
  }

  Result<json::Value> verify_signature(const json::Value& input, const SkillContext&) const {
    BIZRA_TRY(detail::expect_object(input, {"pubkey", "message", "message_hex", "signature"}));
    auto pubkey_text = required_string(input, "pubkey", kPublicKeyPrefix.size() + 2 * crypto::PublicKey::kSize);
    if (!pubkey_text) return pubkey_text.error();
    std::string_view key_hex = *pubkey_text;
    if (key_hex.starts_with(kPublicKeyPrefix)) key_hex.remove_prefix(kPublicKeyPrefix.size());
    auto key = hex::decode_fixed<crypto::PublicKey::kSize>(key_hex);
    if (!key) return bad_input("pubkey", "expected 64 hex digits, optionally after \"ed25519:\"");

    auto signature_text = required_string(input, "signature", 2 * crypto::Signature::kSize);
    if (!signature_text) return signature_text.error();
    auto signature = hex::decode_fixed<crypto::Signature::kSize>(*signature_text);
    if (!signature) return bad_input("signature", "expected 128 hex digits");

    const json::Value* message = input.find("message");
    const json::Value* message_hex = input.find("message_hex");
    if ((message == nullptr) == (message_hex == nullptr))
      return bad_input("message", "give exactly one of message and message_hex");
    Bytes bytes;
    if (message != nullptr) {
      if (!message->is_string()) return bad_input("message", "expected a string");
      bytes = to_bytes(message->as_string());
    } else {
      auto decoded = hex::decode(message_hex->as_string());
      if (!message_hex->is_string() || !decoded) return bad_input("message_hex", "expected hex digits");
      bytes = std::move(*decoded);
    }
    const bool valid = crypto::verify(crypto::PublicKey{*key}, bytes, crypto::Signature{*signature});
    return json::Value::object({{"valid", json::Value::boolean(valid)}});
  }

  Result<json::Value> hash_evidence(const json::Value& input, const SkillContext& ctx) const {
    BIZRA_TRY(detail::expect_object(input, {"paths"}));
    const json::Value* paths = input.find("paths");
    if (paths == nullptr || !paths->is_array() || paths->items().empty())
      return bad_input("paths", "expected a non-empty array of relative paths");
    std::vector<std::string> requested;
    requested.reserve(paths->items().size());
    for (const json::Value& path : paths->items()) {
      if (!path.is_string()) return bad_input("paths", "expected strings");
      requested.push_back(path.as_string());
    }
    auto pack = ace::hash_evidence(options_.evidence_root, requested, options_.evidence_limits,
                                   [&ctx] { return ctx.cancelled(); });
    if (!pack) return pack.error();
    return evidence_pack_json(*pack);
  }

  Result<PolicyRequest> policy_request(const json::Value& input, const SkillContext& ctx) const {
    PolicyRequest request;
    auto skill = required_string(input, "skill", kMaxSkillBytes);
    if (!skill) return skill.error();
    request.skill = std::move(*skill);
    if (input.find("requester") == nullptr) {
      request.requester = std::string(ctx.requester());
    } else {
      auto requester = required_string(input, "requester", kMaxRequesterBytes);
      if (!requester) return requester.error();
      request.requester = std::move(*requester);
    }
    if (const json::Value* bytes = input.find("input_bytes")) {
      request.input_bytes = detail::read_uint(*bytes, UINT64_MAX);
      if (!request.input_bytes) return bad_input("input_bytes", "expected a whole number");
    }
    if (const json::Value* type = input.find("type")) {
      request.type = task_type_from_name(type->as_string());
      if (!type->is_string() || !request.type) return bad_input("type", "expected \"APT\", \"AST\" or \"SAT\"");
    }
    return request;
  }

  Result<json::Value> check_policy(const json::Value& input, const SkillContext& ctx) const {
    BIZRA_TRY(detail::expect_object(input, {"skill", "requester", "input_bytes", "type", "enforce"}));
    auto request = policy_request(input, ctx);
    if (!request) return request.error();
    const json::Value* enforce = input.find("enforce");
    if (enforce != nullptr && !enforce->is_bool()) return bad_input("enforce", "expected a boolean");

    const std::vector<PolicyViolation> violations = ace::check_policy(options_.policy, *request);
    if (enforce != nullptr && enforce->as_bool() && !violations.empty()) {
      std::string message;
      for (const PolicyViolation& v : violations) message += (message.empty() ? "" : "; ") + v.message;
      return Error("policy_denied", message);
    }
    std::vector<json::Value> reasons;
    for (const PolicyViolation& v : violations)
      reasons.push_back(json::Value::object(
          {{"code", json::Value::string(std::string(v.code))}, {"message", json::Value::string(v.message)}}));
    return json::Value::object({{"allowed", json::Value::boolean(violations.empty())},
                                {"skill", json::Value::string(request->skill)},
                                {"requester", json::Value::string(request->requester)},
                                {"reasons", json::Value::array(std::move(reasons))}});
  }

  const SecurityOptions options_;
};

std::span<const SecurityAgent::SkillRow> SecurityAgent::skill_table() {
  static constexpr SkillRow kSkills[] = {
      {"security.check_policy", &SecurityAgent::check_policy},
      {"security.hash_evidence", &SecurityAgent::hash_evidence},
      {"security.verify_attestation", &SecurityAgent::verify_attestation},
      {"security.verify_signature", &SecurityAgent::verify_signature},
  };
  return kSkills;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::vector<PolicyViolation> check_policy(const SecurityPolicy& policy, const PolicyRequest& request) {
  std::vector<PolicyViolation> violations;
  const std::string& skill = request.skill;
  const std::string requester = in_quotes(request.requester);
  if (!detail::is_skill_name(skill))
    violations.push_back({"unknown_skill", in_quotes(skill) + " is not a skill of the six agents"});
  if (const auto denied = policy.denied_requesters.find(skill);
      denied != policy.denied_requesters.end() &&
      (denied->second.count(request.requester) != 0 || denied->second.count("*") != 0))
    violations.push_back({"denied", skill + " is denied to requester " + requester});
  const bool by_node = policy.node_requesters.count(request.requester) != 0;
  if (policy.node_only_skills.count(skill) != 0 && (!by_node || (request.type && *request.type != TaskType::kSat)))
    violations.push_back({"node_only", skill + " runs only as the node's own SAT task, not for " + requester});
  if (request.type == TaskType::kSat && !by_node)
    violations.push_back({"sat_requires_node", "only the node starts SAT tasks, not " + requester});
  const auto bound = policy.max_input_bytes.find(skill);
  const std::size_t limit = bound == policy.max_input_bytes.end() ? policy.default_max_input_bytes : bound->second;
  if (request.input_bytes && *request.input_bytes > limit)
    violations.push_back({"input_too_large", skill + " takes at most " + std::to_string(limit) + " input bytes, got " +
                                                 std::to_string(*request.input_bytes)});
  return violations;
}

std::unique_ptr<Agent> make_security_agent(SecurityOptions options) {
  return std::make_unique<SecurityAgent>(std::move(options));
}

}  // namespace bizra::ace
