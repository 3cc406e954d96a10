// Reads a text into an RWKV model, scores what follows, and continues it: the engine alone.
#include <rwkv/model.h>
#include <rwkv/session.h>
#include <rwkv/tokenizer.h>

#include <cstdio>

int main(int argc, char** argv) {
  // A checkpoint path, or the default: $RWKV_MODEL, else the installed bundled model.
  auto model = rwkv::Model::load(argc > 1 ? argv[1] : rwkv::default_model_path());
  rwkv::Session session(model, rwkv::tokenizer_for_model(*model, "auto"));
  session.ingest("In the beginning God created the heaven and the earth. ");
  const rwkv::ScoreResult next = session.score("And the earth was without form.");
  std::printf("%.2f bits per byte\n", next.bits_per_byte());
  rwkv::GenerateParams params;
  params.max_tokens = 40;
  std::printf("%s\n", session.generate(params).text.c_str());
  return 0;
}
