// Quantized rwkv.cpp files (rwkv/formats.h: quantize_rwkvcpp): an rwkv.cpp input record by record.
#include "formats/rwkvcpp_records.h"
#include "formats/rwkvcpp_writer.h"
#include "tensor/quantize.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv {

QuantizeReport quantize_rwkvcpp(const std::string& in, const std::string& out, DType type, bool with_head) {
  quantized_type(type);  // fails first, naming the choices, for a type that is not quantized
  if (detect_format(in) != "rwkv.cpp") return convert_to_rwkvcpp(in, out, type, with_head);
  auto file = MappedFile::open(in);
  QuantizeReport rep;
  rep.bytes_in = file->size();
  rwkvcpp::FileWriter w(out);
  const auto header = [&](const rwkvcpp::Header& h) { w.header(h.n_vocab, h.n_embd, h.n_layer, type); };
  rwkvcpp::read(file->data(), file->size(), "rwkv.cpp file '" + in + "'", header, [&](const rwkvcpp::Record& r) {
    if (!rwkvcpp::quantizable(r.name, r.ne, r.dtype, with_head)) {
      w.record(r.name, r.ne, r.dtype, r.data, r.nbytes);
      rep.kept++;
      return;
    }
    w.quantized_record(rwkvcpp::tensor_view(r), r.ne, type);
    rep.quantized++;
  });
  rep.bytes_out = w.commit();
  return rep;
}

}  // namespace rwkv
