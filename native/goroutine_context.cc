// goroutine_context: exposes V8's continuation-preserved embedder data (CPED) to JavaScript.
//
// V8 stores the current CPED value in every promise reaction when the reaction is created and restores
// it while the reaction runs, so a value set when a goroutine starts flows through each of its awaits at
// no cost to promises (no promise hook). Node 24 (and Node 22 with --experimental-async-context-frame)
// builds AsyncLocalStorage on the same slot; there src/internal/gls.ts uses AsyncLocalStorage instead and
// never loads this addon.
//
// V8 12 (Node 22) moved the accessors from v8::Context to v8::Isolate; V8 11 (Node 20) has them on the
// context only. The package ships one prebuilt binary per Node ABI (prebuilds/linux-x64/node.abi*.node).
#include <node.h>

namespace {

#if V8_MAJOR_VERSION >= 12
#define GOROUTINE_CPED_HOLDER(isolate) (isolate)
#else
#define GOROUTINE_CPED_HOLDER(isolate) ((isolate)->GetCurrentContext())
#endif

void GetCurrent(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  args.GetReturnValue().Set(GOROUTINE_CPED_HOLDER(isolate)->GetContinuationPreservedEmbedderData());
}

void SetCurrent(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  GOROUTINE_CPED_HOLDER(isolate)->SetContinuationPreservedEmbedderData(args[0]);
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  NODE_SET_METHOD(exports, "get", GetCurrent);
  NODE_SET_METHOD(exports, "set", SetCurrent);
}
