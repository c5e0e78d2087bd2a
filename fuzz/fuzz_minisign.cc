// minisign's file formats as pandora reads them (keys from a keyring or
// the command line, detached signatures): the first byte picks the parser
// (0 public key, 1 secret key file, 2 detached signature), the rest is the
// file. Parsed keys and signatures are then used: formatted again (a
// public key must round-trip), an unencrypted secret key opened, a
// signature verified. Encrypted secret keys are parsed but not opened:
// scrypt at the file's cost would only measure scrypt.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pandora/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const syd::pandora::SecretKey key = syd::pandora::GenerateKey();
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto pk = syd::pandora::ParsePublicKey(text);
      if (!pk) break;
      auto again = syd::pandora::ParsePublicKey(syd::pandora::FormatPublicKey(*pk));
      if (!again || again->key != pk->key || again->key_id != pk->key_id) abort();
      break;
    }
    case 1: {
      auto f = syd::pandora::ParseSecretKeyFile(text);
      if (f && !f->encrypted) (void)syd::pandora::OpenSecretKey(*f, "");
      break;
    }
    case 2: {
      auto sig = syd::pandora::ParseDetachedSignature(text);
      if (sig) (void)syd::pandora::VerifyDetached(key.Public(), text, *sig);
      break;
    }
  }
  return 0;
}
