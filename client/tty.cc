#include "client/tty.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sluss::client {

bool StdinIsTerminal() { return ::isatty(STDIN_FILENO) == 1; }
bool StdoutIsTerminal() { return ::isatty(STDOUT_FILENO) == 1; }

bool UseColour() {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && *no_colour != '\0') return false;
  return StdoutIsTerminal();
}

std::string Paint(Colour colour, absl::string_view text) {
  if (!UseColour()) return std::string(text);
  const char* code = "";
  switch (colour) {
    case Colour::kBold: code = "1"; break;
    case Colour::kGreen: code = "32"; break;
    case Colour::kYellow: code = "33"; break;
    case Colour::kRed: code = "31"; break;
    case Colour::kDim: code = "2"; break;
  }
  return absl::StrCat("\033[", code, "m", text, "\033[0m");
}

absl::StatusOr<std::string> PromptLine(std::istream& in, std::ostream& out, absl::string_view prompt,
                                       absl::string_view what) {
  out << prompt << std::flush;
  std::string line;
  if (!std::getline(in, line)) {
    out << "\n";
    return absl::CancelledError(absl::StrCat("input ended before ", what, " was given; nothing was sent"));
  }
  return std::string(absl::StripAsciiWhitespace(line));
}

}  // namespace sluss::client
