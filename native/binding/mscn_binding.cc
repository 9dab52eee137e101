// JavaScript class MscnModel over the core's MscnModel.
#include <memory>

#include "convert.h"
#include "errors.h"
#include "model_file.h"
#include "mscn.h"

namespace pilotscope::binding {
namespace {

MscnMetadata parseMetadata(const Napi::Value& value) {
  const Napi::Object o = requireObject(value, "metadata");
  MscnMetadata m;
  m.tables = stringArray(o, "tables", "metadata");
  m.joins = stringArray(o, "joins", "metadata");
  m.operators = stringArray(o, "operators", "metadata");
  const Napi::Value columns = o.Get("columns");
  if (!columns.IsArray()) throwError(o.Env(), "NATIVE_INVALID_ARGUMENT", "metadata.columns must be an array of {name, min, max}");
  const Napi::Array a = columns.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const std::string owner = "metadata.columns[" + std::to_string(i) + "]";
    const Napi::Object c = requireObject(a.Get(i), owner);
    MscnColumn col;
    const Napi::Value name = c.Get("name");
    if (!name.IsString()) throwError(o.Env(), "NATIVE_INVALID_ARGUMENT", owner + ".name must be a string");
    col.name = name.As<Napi::String>().Utf8Value();
    col.min = numberField(c, "min", owner, 0, true);
    col.max = numberField(c, "max", owner, 0, true);
    if (!c.Get("strings").IsUndefined()) col.strings = stringArray(c, "strings", owner);
    m.columns.push_back(std::move(col));
  }
  m.hidden = intField(o, "hidden", "metadata", 256, 1, 4096);
  m.seed = seedField(o, "seed", "metadata", 1);
  return m;
}

RelSetBatch parseBatch(const Napi::Value& value) {
  const Napi::Object o = requireObject(value, "batch");
  RelSetBatch b;
  b.tableOffsets = int32Field(o, "tableOffsets", "batch");
  b.tableIds = int32Field(o, "tableIds", "batch");
  b.joinOffsets = int32Field(o, "joinOffsets", "batch");
  b.joinIds = int32Field(o, "joinIds", "batch");
  b.predicateOffsets = int32Field(o, "predicateOffsets", "batch");
  b.predicateColumns = int32Field(o, "predicateColumns", "batch");
  b.predicateOperators = int32Field(o, "predicateOperators", "batch");
  b.predicateLow = float64Field(o, "predicateLow", "batch");
  b.predicateHigh = float64Field(o, "predicateHigh", "batch");
  b.predicateArg = float64Field(o, "predicateArg", "batch");
  return b;
}

template <typename T>
std::vector<T> copyOf(View<T> v) {
  return std::vector<T>(v.data, v.data + v.size);
}

// The training data copied out of JavaScript, so the worker thread never touches JS memory.
struct OwnedBatch {
  std::vector<int32_t> tableOffsets, tableIds, joinOffsets, joinIds, predicateOffsets, predicateColumns, predicateOperators;
  std::vector<double> predicateLow, predicateHigh, predicateArg, cards;
  explicit OwnedBatch(const RelSetBatch& b, View<double> c)
      : tableOffsets(copyOf(b.tableOffsets)), tableIds(copyOf(b.tableIds)), joinOffsets(copyOf(b.joinOffsets)),
        joinIds(copyOf(b.joinIds)), predicateOffsets(copyOf(b.predicateOffsets)), predicateColumns(copyOf(b.predicateColumns)),
        predicateOperators(copyOf(b.predicateOperators)), predicateLow(copyOf(b.predicateLow)),
        predicateHigh(copyOf(b.predicateHigh)), predicateArg(copyOf(b.predicateArg)), cards(copyOf(c)) {}
  RelSetBatch view() const {
    RelSetBatch b;
    b.tableOffsets = tableOffsets;
    b.tableIds = tableIds;
    b.joinOffsets = joinOffsets;
    b.joinIds = joinIds;
    b.predicateOffsets = predicateOffsets;
    b.predicateColumns = predicateColumns;
    b.predicateOperators = predicateOperators;
    b.predicateLow = predicateLow;
    b.predicateHigh = predicateHigh;
    b.predicateArg = predicateArg;
    return b;
  }
};

Napi::Value nanOr(Napi::Env env, double v) { return Napi::Number::New(env, v); }

class MscnWrap;

// Trains a copy of the model on a worker thread; the copy replaces the model when training ends,
// so predict() keeps working (with the old weights) meanwhile.
class MscnTrainWorker : public Napi::AsyncProgressQueueWorker<MscnEpochReport> {
 public:
  MscnTrainWorker(Napi::Env env, MscnWrap* wrap, Napi::Object self, std::unique_ptr<MscnModel> model,
                  std::unique_ptr<OwnedBatch> data, MscnTrainOptions options, Napi::Function onEpoch,
                  std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncProgressQueueWorker<MscnEpochReport>(env),
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
      result_ = model_->train(data_->view(), data_->cards, options_,
                              [&progress](const MscnEpochReport& r) { progress.Send(&r, 1); }, cancel_.get());
    } catch (const std::exception& e) {
      error_ = std::current_exception();
      SetError(e.what());
    }
  }
  void OnProgress(const MscnEpochReport* reports, size_t count) override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Napi::Promise::Deferred deferred_;
  MscnWrap* wrap_;
  Napi::ObjectReference self_;
  std::unique_ptr<MscnModel> model_;
  std::unique_ptr<OwnedBatch> data_;
  MscnTrainOptions options_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::FunctionReference onEpoch_;
  MscnTrainResult result_;
  std::exception_ptr error_;
  Napi::Reference<Napi::Value> callbackError_;  // thrown by onEpoch: stops training, rejects with it
};

class MscnWrap : public Napi::ObjectWrap<MscnWrap> {
 public:
  static Napi::FunctionReference* constructor;

  explicit MscnWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MscnWrap>(info) {
    Napi::Env env = info.Env();
    guard(env, [&] {
      if (info.Length() >= 1 && info[0].IsExternal()) {
        model_.reset(info[0].As<Napi::External<MscnModel>>().Data());
      } else {
        if (info.Length() < 1) throwError(env, "NATIVE_INVALID_ARGUMENT", "new MscnModel(metadata) needs the featurization metadata");
        model_ = std::make_unique<MscnModel>(parseMetadata(info[0]));
      }
    });
  }

  static Napi::Function define(Napi::Env env) {
    Napi::Function f = DefineClass(env, "MscnModel",
                                   {InstanceMethod("metadata", &MscnWrap::metadata),
                                    InstanceMethod("predict", &MscnWrap::predict),
                                    InstanceMethod("train", &MscnWrap::train),
                                    InstanceMethod("toBuffer", &MscnWrap::toBuffer),
                                    InstanceMethod("save", &MscnWrap::save),
                                    InstanceAccessor("training", &MscnWrap::training, nullptr),
                                    StaticMethod("fromBuffer", &MscnWrap::fromBuffer),
                                    StaticMethod("load", &MscnWrap::load)});
    constructor = new Napi::FunctionReference(Napi::Persistent(f));
    return f;
  }

  void finishTraining(std::unique_ptr<MscnModel> trained) {
    if (trained) model_ = std::move(trained);
    training_ = false;
  }

 private:
  static Napi::Value adopt(Napi::Env env, std::unique_ptr<MscnModel> model) {
    Napi::External<MscnModel> ext = Napi::External<MscnModel>::New(env, model.release());
    return constructor->New({ext});
  }

  Napi::Value metadata(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const MscnMetadata& m = model_->metadata();
    Napi::Object o = Napi::Object::New(env);
    o.Set("tables", toJsStrings(env, m.tables));
    Napi::Array columns = Napi::Array::New(env, m.columns.size());
    for (size_t i = 0; i < m.columns.size(); ++i) {
      Napi::Object c = Napi::Object::New(env);
      c.Set("name", m.columns[i].name);
      c.Set("min", m.columns[i].min);
      c.Set("max", m.columns[i].max);
      if (!m.columns[i].strings.empty()) c.Set("strings", toJsStrings(env, m.columns[i].strings));
      columns.Set(static_cast<uint32_t>(i), c);
    }
    o.Set("columns", columns);
    o.Set("joins", toJsStrings(env, m.joins));
    o.Set("operators", toJsStrings(env, m.operators));
    o.Set("hidden", m.hidden);
    o.Set("seed", static_cast<double>(m.seed));
    o.Set("trained", model_->trained());
    o.Set("labelLogMin", model_->labelLogMin());
    o.Set("labelLogMax", model_->labelLogMax());
    return o;
  }

  Napi::Value predict(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      const RelSetBatch batch = parseBatch(info[0]);
      model_->validate(batch);
      Napi::Float64Array out = Napi::Float64Array::New(env, batch.size());
      model_->predict(batch, out.Data());
      return out;
    });
  }

  Napi::Value train(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      if (training_) throwError(env, "NATIVE_INVALID_ARGUMENT", "this model is already training: await the running train() first");
      const RelSetBatch batch = parseBatch(info[0]);
      const View<double> cards = float64Value(info[1], "cards");
      model_->validate(batch);
      MscnTrainOptions o;
      if (info.Length() > 2 && !info[2].IsUndefined()) {
        const Napi::Object opt = requireObject(info[2], "options");
        o.epochs = intField(opt, "epochs", "options", o.epochs, 1, 1000000);
        o.batchSize = intField(opt, "batchSize", "options", o.batchSize, 1, 1 << 20);
        o.learningRate = static_cast<float>(numberField(opt, "learningRate", "options", o.learningRate, false));
        o.validationFraction = numberField(opt, "validationFraction", "options", o.validationFraction, false);
        o.patience = intField(opt, "patience", "options", o.patience, 0, 1000000);
        o.seed = seedField(opt, "seed", "options", o.seed);
        const Napi::Value loss = opt.Get("loss");
        if (!loss.IsUndefined()) {
          const std::string name = loss.IsString() ? loss.As<Napi::String>().Utf8Value() : "";
          if (name == "qerror") o.loss = MscnLoss::QError;
          else if (name == "log-squared") o.loss = MscnLoss::LogSquared;
          else throwError(env, "NATIVE_INVALID_ARGUMENT", "options.loss must be \"qerror\" or \"log-squared\"");
        }
      }
      Napi::Function onEpoch;
      if (info.Length() > 3 && !info[3].IsUndefined() && !info[3].IsNull()) {
        if (!info[3].IsFunction()) throwError(env, "NATIVE_INVALID_ARGUMENT", "onEpoch must be a function");
        onEpoch = info[3].As<Napi::Function>();
      }
      auto cancel = CancelToken::fromValue(info.Length() > 4 ? info[4] : env.Undefined());
      auto data = std::make_unique<OwnedBatch>(batch, cards);
      auto* worker = new MscnTrainWorker(env, this, info.This().As<Napi::Object>(), std::make_unique<MscnModel>(*model_),
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
      return adopt(info.Env(), std::make_unique<MscnModel>(MscnModel::deserialize(bytes.data, bytes.size)));
    });
  }

  static Napi::Value load(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() {
      const std::vector<uint8_t> bytes = readFile(pathArgument(info, 0));
      return adopt(info.Env(), std::make_unique<MscnModel>(MscnModel::deserialize(bytes.data(), bytes.size())));
    });
  }

  std::unique_ptr<MscnModel> model_;
  bool training_ = false;
};

Napi::FunctionReference* MscnWrap::constructor = nullptr;

void MscnTrainWorker::OnProgress(const MscnEpochReport* reports, size_t count) {
  if (onEpoch_.IsEmpty()) return;
  Napi::Env env = Env();
  for (size_t i = 0; i < count; ++i) {
    const MscnEpochReport& r = reports[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("epoch", r.epoch);
    o.Set("trainLoss", r.trainLoss);
    o.Set("validationQErrorMean", nanOr(env, r.validationQErrorMean));
    o.Set("validationQErrorMedian", nanOr(env, r.validationQErrorMedian));
    o.Set("validationQError95", nanOr(env, r.validationQError95));
    o.Set("validationQErrorGeoMean", nanOr(env, r.validationQErrorGeoMean));
    o.Set("best", r.best);
    try {
      onEpoch_.Call({o});
    } catch (const Napi::Error& e) {
      if (callbackError_.IsEmpty()) callbackError_ = Napi::Reference<Napi::Value>::New(e.Value(), 1);
      cancel_->store(true);
      return;
    }
  }
}

void MscnTrainWorker::OnOK() {
  Napi::Env env = Env();
  if (!callbackError_.IsEmpty()) {
    wrap_->finishTraining(nullptr);
    deferred_.Reject(callbackError_.Value());
    return;
  }
  wrap_->finishTraining(std::move(model_));
  Napi::Object o = Napi::Object::New(env);
  o.Set("epochsRun", result_.epochsRun);
  o.Set("bestEpoch", result_.bestEpoch);
  o.Set("bestValidationQError", nanOr(env, result_.bestValidationQError));
  o.Set("trainSamples", result_.trainSamples);
  o.Set("validationSamples", result_.validationSamples);
  deferred_.Resolve(o);
}

void MscnTrainWorker::OnError(const Napi::Error& e) {
  wrap_->finishTraining(nullptr);
  Napi::Env env = Env();
  if (!callbackError_.IsEmpty()) {
    deferred_.Reject(callbackError_.Value());
    return;
  }
  try {
    if (error_) std::rethrow_exception(error_);
    deferred_.Reject(e.Value());
  } catch (const std::exception& ex) {
    deferred_.Reject(translate(env, ex).Value());
  }
}

}  // namespace

Napi::Function defineMscnModel(Napi::Env env) { return MscnWrap::define(env); }

}  // namespace pilotscope::binding
