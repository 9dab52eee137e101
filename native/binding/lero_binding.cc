// JavaScript class LeroModel over the core's LeroModel.
#include <memory>

#include "convert.h"
#include "errors.h"
#include "lero.h"
#include "model_file.h"

namespace pilotscope::binding {
namespace {

LeroMetadata parseMetadata(const Napi::Value& value) {
  const Napi::Object o = requireObject(value, "metadata");
  LeroMetadata m;
  m.nodeTypes = stringArray(o, "nodeTypes", "metadata");
  m.tables = stringArray(o, "tables", "metadata");
  m.seed = seedField(o, "seed", "metadata", 1);
  return m;
}

PlanBatch parseBatch(const Napi::Value& value) {
  const Napi::Object o = requireObject(value, "plans");
  PlanBatch b;
  b.treeOffsets = int32Field(o, "treeOffsets", "plans");
  b.nodeTypes = int32Field(o, "nodeTypes", "plans");
  b.left = int32Field(o, "left", "plans");
  b.right = int32Field(o, "right", "plans");
  b.widths = float64Field(o, "widths", "plans");
  b.rows = float64Field(o, "rows", "plans");
  b.nodeTableOffsets = int32Field(o, "nodeTableOffsets", "plans");
  b.nodeTableIds = int32Field(o, "nodeTableIds", "plans");
  return b;
}

template <typename T>
std::vector<T> copyOf(View<T> v) {
  return std::vector<T>(v.data, v.data + v.size);
}

struct OwnedPlans {
  std::vector<int32_t> treeOffsets, nodeTypes, left, right, nodeTableOffsets, nodeTableIds, groups;
  std::vector<double> widths, rows, latencies;
  OwnedPlans(const PlanBatch& b, View<int32_t> g, View<double> l)
      : treeOffsets(copyOf(b.treeOffsets)), nodeTypes(copyOf(b.nodeTypes)), left(copyOf(b.left)), right(copyOf(b.right)),
        nodeTableOffsets(copyOf(b.nodeTableOffsets)), nodeTableIds(copyOf(b.nodeTableIds)), groups(copyOf(g)),
        widths(copyOf(b.widths)), rows(copyOf(b.rows)), latencies(copyOf(l)) {}
  PlanBatch view() const {
    PlanBatch b;
    b.treeOffsets = treeOffsets;
    b.nodeTypes = nodeTypes;
    b.left = left;
    b.right = right;
    b.widths = widths;
    b.rows = rows;
    b.nodeTableOffsets = nodeTableOffsets;
    b.nodeTableIds = nodeTableIds;
    return b;
  }
};

class LeroWrap;

class LeroTrainWorker : public Napi::AsyncProgressQueueWorker<LeroEpochReport> {
 public:
  LeroTrainWorker(Napi::Env env, LeroWrap* wrap, Napi::Object self, std::unique_ptr<LeroModel> model,
                  std::unique_ptr<OwnedPlans> data, LeroTrainOptions options, Napi::Function onEpoch,
                  std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncProgressQueueWorker<LeroEpochReport>(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        wrap_(wrap),
        self_(Napi::Persistent(self)),
        model_(std::move(model)),
        data_(std::move(data)),
        options_(options),
        cancel_(cancel ? std::move(cancel) : std::make_shared<std::atomic<bool>>(false)) {
    if (!onEpoch.IsEmpty()) onEpoch_ = Napi::Persistent(onEpoch);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      result_ = model_->train(data_->view(), data_->groups, data_->latencies, options_,
                              [&progress](const LeroEpochReport& r) { progress.Send(&r, 1); }, cancel_.get());
    } catch (const std::exception& e) {
      error_ = std::current_exception();
      SetError(e.what());
    }
  }
  void OnProgress(const LeroEpochReport* reports, size_t count) override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Napi::Promise::Deferred deferred_;
  LeroWrap* wrap_;
  Napi::ObjectReference self_;
  std::unique_ptr<LeroModel> model_;
  std::unique_ptr<OwnedPlans> data_;
  LeroTrainOptions options_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::FunctionReference onEpoch_;
  LeroTrainResult result_;
  std::exception_ptr error_;
  Napi::Reference<Napi::Value> callbackError_;
};

class LeroWrap : public Napi::ObjectWrap<LeroWrap> {
 public:
  static Napi::FunctionReference* constructor;

  explicit LeroWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LeroWrap>(info) {
    Napi::Env env = info.Env();
    guard(env, [&] {
      if (info.Length() >= 1 && info[0].IsExternal()) {
        model_.reset(info[0].As<Napi::External<LeroModel>>().Data());
      } else {
        if (info.Length() < 1) throwError(env, "NATIVE_INVALID_ARGUMENT", "new LeroModel(metadata) needs the featurization metadata");
        model_ = std::make_unique<LeroModel>(parseMetadata(info[0]));
      }
    });
  }

  static Napi::Function define(Napi::Env env) {
    Napi::Function f = DefineClass(env, "LeroModel",
                                   {InstanceMethod("metadata", &LeroWrap::metadata),
                                    InstanceMethod("score", &LeroWrap::score),
                                    InstanceMethod("train", &LeroWrap::train),
                                    InstanceMethod("toBuffer", &LeroWrap::toBuffer),
                                    InstanceMethod("save", &LeroWrap::save),
                                    InstanceAccessor("training", &LeroWrap::training, nullptr),
                                    StaticMethod("fromBuffer", &LeroWrap::fromBuffer),
                                    StaticMethod("load", &LeroWrap::load)});
    constructor = new Napi::FunctionReference(Napi::Persistent(f));
    return f;
  }

  void finishTraining(std::unique_ptr<LeroModel> trained) {
    if (trained) model_ = std::move(trained);
    training_ = false;
  }

 private:
  static Napi::Value adopt(Napi::Env env, std::unique_ptr<LeroModel> model) {
    return constructor->New({Napi::External<LeroModel>::New(env, model.release())});
  }

  Napi::Value metadata(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const LeroMetadata& m = model_->metadata();
    Napi::Object o = Napi::Object::New(env);
    o.Set("nodeTypes", toJsStrings(env, m.nodeTypes));
    o.Set("tables", toJsStrings(env, m.tables));
    o.Set("seed", static_cast<double>(m.seed));
    o.Set("trained", model_->trained());
    o.Set("nodeFeatureDim", model_->nodeFeatureDim());
    return o;
  }

  Napi::Value score(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      const PlanBatch batch = parseBatch(info[0]);
      model_->validate(batch);
      Napi::Float64Array out = Napi::Float64Array::New(env, batch.size());
      model_->score(batch, out.Data());
      return out;
    });
  }

  Napi::Value train(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      if (training_) throwError(env, "NATIVE_INVALID_ARGUMENT", "this model is already training: await the running train() first");
      const PlanBatch batch = parseBatch(info[0]);
      const View<int32_t> groups = int32Value(info[1], "groups");
      const View<double> latencies = float64Value(info[2], "latencies");
      model_->validate(batch);
      LeroTrainOptions o;
      if (info.Length() > 3 && !info[3].IsUndefined()) {
        const Napi::Object opt = requireObject(info[3], "options");
        o.epochs = intField(opt, "epochs", "options", o.epochs, 1, 1000000);
        o.batchSize = intField(opt, "batchSize", "options", o.batchSize, 1, 1 << 20);
        o.learningRate = static_cast<float>(numberField(opt, "learningRate", "options", o.learningRate, false));
        o.seed = seedField(opt, "seed", "options", o.seed);
      }
      Napi::Function onEpoch;
      if (info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull()) {
        if (!info[4].IsFunction()) throwError(env, "NATIVE_INVALID_ARGUMENT", "onEpoch must be a function");
        onEpoch = info[4].As<Napi::Function>();
      }
      auto cancel = CancelToken::fromValue(info.Length() > 5 ? info[5] : env.Undefined());
      auto data = std::make_unique<OwnedPlans>(batch, groups, latencies);
      auto* worker = new LeroTrainWorker(env, this, info.This().As<Napi::Object>(), std::make_unique<LeroModel>(*model_),
                                         std::move(data), o, onEpoch, cancel);
      Napi::Promise promise = worker->promise();
      training_ = true;
      worker->Queue();
      return promise;
    });
  }

  Napi::Value toBuffer(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() { return bufferFromBytes(info.Env(), model_->serialize()); });
  }

  Napi::Value save(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
      writeFile(pathArgument(info, 0), model_->serialize());
      return info.Env().Undefined();
    });
  }

  Napi::Value training(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), training_); }

  static Napi::Value fromBuffer(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() {
      const View<uint8_t> bytes = bytesArgument(info[0], "buffer");
      return adopt(info.Env(), std::make_unique<LeroModel>(LeroModel::deserialize(bytes.data, bytes.size)));
    });
  }

  static Napi::Value load(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() {
      const std::vector<uint8_t> bytes = readFile(pathArgument(info, 0));
      return adopt(info.Env(), std::make_unique<LeroModel>(LeroModel::deserialize(bytes.data(), bytes.size())));
    });
  }

  std::unique_ptr<LeroModel> model_;
  bool training_ = false;
};

Napi::FunctionReference* LeroWrap::constructor = nullptr;

void LeroTrainWorker::OnProgress(const LeroEpochReport* reports, size_t count) {
  if (onEpoch_.IsEmpty()) return;
  Napi::Env env = Env();
  for (size_t i = 0; i < count; ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("epoch", reports[i].epoch);
    o.Set("trainLoss", reports[i].trainLoss);
    o.Set("pairAccuracy", reports[i].pairAccuracy);
    try {
      onEpoch_.Call({o});
    } catch (const Napi::Error& e) {
      if (callbackError_.IsEmpty()) callbackError_ = Napi::Reference<Napi::Value>::New(e.Value(), 1);
      cancel_->store(true);
      return;
    }
  }
}

void LeroTrainWorker::OnOK() {
  Napi::Env env = Env();
  if (!callbackError_.IsEmpty()) {
    wrap_->finishTraining(nullptr);
    deferred_.Reject(callbackError_.Value());
    return;
  }
  wrap_->finishTraining(std::move(model_));
  Napi::Object o = Napi::Object::New(env);
  o.Set("epochsRun", result_.epochsRun);
  o.Set("pairs", result_.pairs);
  o.Set("finalLoss", result_.finalLoss);
  o.Set("finalPairAccuracy", result_.finalPairAccuracy);
  deferred_.Resolve(o);
}

void LeroTrainWorker::OnError(const Napi::Error& e) {
  wrap_->finishTraining(nullptr);
  if (!callbackError_.IsEmpty()) {
    deferred_.Reject(callbackError_.Value());
    return;
  }
  try {
    if (error_) std::rethrow_exception(error_);
    deferred_.Reject(e.Value());
  } catch (const std::exception& ex) {
    deferred_.Reject(translate(Env(), ex).Value());
  }
}

}  // namespace

Napi::Function defineLeroModel(Napi::Env env) { return LeroWrap::define(env); }

}  // namespace pilotscope::binding
