#include "lang/lines.h"

namespace syd::lang {

void LineReader::Feed(std::string_view bytes) {
  for (char ch : bytes) {
    if (ch == '\n') {
      if (skipping_) {
        skipping_ = false;
      } else {
        if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
        ready_.push_back(Line{std::move(buf_), false});
      }
      buf_.clear();
      continue;
    }
    if (skipping_) continue;
    if (buf_.size() >= kMaxLine) {
      ready_.push_back(Line{{}, true});
      buf_.clear();
      skipping_ = true;
      continue;
    }
    buf_.push_back(ch);
  }
}

bool LineReader::Next(Line* out) {
  if (next_ >= ready_.size()) {
    ready_.clear();
    next_ = 0;
    return false;
  }
  *out = std::move(ready_[next_++]);
  return true;
}

}  // namespace syd::lang
