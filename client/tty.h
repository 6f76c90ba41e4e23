// Terminal behaviour of the `sluss` CLI: whether a stream is a terminal,
// whether to colour output, and line prompts.
//
// Colour follows https://no-color.org: only when stdout is a terminal and
// NO_COLOR is unset or empty. Prompts are written to the terminal's stderr
// and read from stdin; callers prompt only when StdinIsTerminal() (a script
// must pass flags, never be asked). Thread-compatible.
#ifndef SLUSS_CLIENT_TTY_H_
#define SLUSS_CLIENT_TTY_H_

#include <istream>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sluss::client {

bool StdinIsTerminal();
bool StdoutIsTerminal();

// Stdout is a terminal and NO_COLOR is unset or empty.
bool UseColour();

enum class Colour { kBold, kGreen, kYellow, kRed, kDim };

// `text` wrapped in the ANSI sequence for `colour` when UseColour(), else
// `text` unchanged.
std::string Paint(Colour colour, absl::string_view text);

// Writes `prompt` to `out` (flushed) and reads one line from `in`, without
// its line ending and surrounding blanks. kCancelled if `in` ends before a
// line is read (Ctrl-D), naming `what`.
absl::StatusOr<std::string> PromptLine(std::istream& in, std::ostream& out, absl::string_view prompt,
                                       absl::string_view what);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_TTY_H_
