// Runs mongo-java-server (in-memory backend) on 127.0.0.1:<port> until SIGTERM; dbkit compiles
// this file into its cache because the library ships no command-line entry point.
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.List;
import java.util.concurrent.CountDownLatch;

public final class MongoJavaServerLauncher {
  private MongoJavaServerLauncher() {}

  /**
   * MongoDB 5.0 with its real wire version (13). mongo-java-server's own MONGO_5_0 reports wire
   * version 8, which the Node.js driver 7 refuses (it needs at least 9, MongoDB 4.4).
   */
  private static final MongoVersion MONGO_5_0_WIRE_13 =
      new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
          return List.of(5, 0, 0);
        }

        @Override
        public int getWireVersion() {
          return 13;
        }
      };

  public static void main(String[] args) throws InterruptedException {
    String host = "127.0.0.1";
    int port = 27017;
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (args[i].equals("--host")) {
        host = args[i + 1];
      } else if (args[i].equals("--port")) {
        port = Integer.parseInt(args[i + 1]);
      }
    }
    MongoServer server = new MongoServer(new MemoryBackend().version(MONGO_5_0_WIRE_13));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdownNow();
                  stopped.countDown();
                }));
    server.bind(host, port);
    System.out.println("mongo-java-server listening on " + host + ":" + port);
    stopped.await();
  }
}
