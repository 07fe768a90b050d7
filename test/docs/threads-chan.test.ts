// Every @example of threads.Chan runs and prints what it says.
import { docExampleSuite } from "./examples.js";

docExampleSuite("threads.Chan", ["src/threads/chan.ts"], 1);
