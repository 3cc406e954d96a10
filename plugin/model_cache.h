// One loaded copy of a model per process: elements naming the same file (by its real path)
// and device share it; the copy is freed when the last user lets go.
#pragma once
#include <memory>
#include <string>

#include "rwkv/model.h"

namespace gstrwkv {

std::shared_ptr<rwkv::Model> shared_model(const std::string& path, const rwkv::LoadOptions& opts);

}  // namespace gstrwkv
