# Embeds the bundled rulebook's text into the gate library, so the CLI, the
# server and auditors have it without any file. Run at build time:
#   cmake -DINPUT=rules/osl.textpb -DOUTPUT=bundled_rulebook.cc -P embed_rulebook.cmake
# The text is written as a byte array (no escaping pitfalls) and must be
# valid UTF-8 Protobuf text format; Rulebook::Bundled() parses it.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
string(REGEX REPLACE "(('[^']+',){24})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from gate/rules/osl.textpb by gate/embed_rulebook.cmake. Do not edit.
#include \"gate/rulebook.h\"

namespace sluss::gate {
namespace {
constexpr char kBundledRulebook[] = {
${bytes}
};
}  // namespace

absl::string_view BundledRulebookText() {
  return absl::string_view(kBundledRulebook, sizeof(kBundledRulebook));
}

}  // namespace sluss::gate
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
