// Small string helpers shared by every layer (pure, no system calls).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syd {

std::string_view Trim(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
std::vector<std::string_view> Split(std::string_view s, char sep);
// Parses booleans as magic commands accept them: true/false/t/f/1/0.
std::optional<bool> ParseBool(std::string_view s);
// Parses a decimal, 0x-hex or 0-octal integer, with optional leading '-'.
std::optional<long long> ParseInt(std::string_view s);
// `s` itself, or its first `max` bytes and "..." (for quoting input in
// error messages: the input may be megabytes).
std::string Elide(std::string_view s, size_t max = 80);
// The candidate closest to `word` by edit distance, if it is close enough
// to be what was meant (a typo: at most a third of the word's length).
std::optional<std::string> Closest(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean 'X'?)" or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace syd
