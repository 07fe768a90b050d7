// goroutine_context: exposes V8's continuation-preserved embedder data (CPED) to JavaScript.
//
// V8 stores the current CPED value in every promise reaction when the reaction is created and restores
// it while the reaction runs, so a value set when a goroutine starts flows through each of its awaits at
// no cost to promises (no promise hook). Node 22+ builds AsyncContextFrame on the same slot; on those
// versions src/internal/gls.ts uses AsyncLocalStorage instead and never loads this addon.
#include <node.h>

namespace {

void GetCurrent(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  args.GetReturnValue().Set(isolate->GetCurrentContext()->GetContinuationPreservedEmbedderData());
}

void SetCurrent(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  isolate->GetCurrentContext()->SetContinuationPreservedEmbedderData(args[0]);
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  NODE_SET_METHOD(exports, "get", GetCurrent);
  NODE_SET_METHOD(exports, "set", SetCurrent);
}
