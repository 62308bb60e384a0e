// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real TCP server on loopback that speaks the page protocol badly on purpose: it reads
 * each connection's HELLO, then hands the streams to a script (which may answer WELCOME, then
 * garbage). For checking what a client makes of a broken server.
 */
final class ScriptedServer implements AutoCloseable {
    interface Script {
        void run(byte channel, DataInputStream in, DataOutputStream out) throws IOException;
    }

    private final ServerSocket socket;
    private final List<Socket> clients = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    ScriptedServer(Script script) throws IOException {
        socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (true) {
                try {
                    Socket c = socket.accept();
                    clients.add(c);
                    Thread t = new Thread(() -> {
                        try {
                            DataInputStream in = new DataInputStream(c.getInputStream());
                            DataOutputStream out = new DataOutputStream(c.getOutputStream());
                            in.readByte(); // HELLO
                            in.readInt();
                            in.readInt(); // magic
                            in.readInt(); // version
                            byte channel = in.readByte();
                            script.run(channel, in, out);
                            out.flush();
                        } catch (IOException e) {
                            // The client hung up; the test looks at the client side.
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** The session every scripted WELCOME names unless a script picks another. */
    static final long SESSION = 0x5C21_97ED_5E55_1011L;

    static void welcome(DataOutputStream out, int magic, int version, long imageBytes)
            throws IOException {
        welcome(out, magic, version, imageBytes, SESSION);
    }

    static void welcome(DataOutputStream out, int magic, int version, long imageBytes,
            long session) throws IOException {
        out.writeByte(MessageType.WELCOME.code());
        out.writeInt(28);
        out.writeInt(magic);
        out.writeInt(version);
        out.writeInt(4096);
        out.writeLong(imageBytes);
        out.writeLong(session);
        out.flush();
    }

    /** Connections accepted so far. */
    int accepted() {
        return clients.size();
    }

    /** Holds the connection open until the client closes it. */
    static void idle(DataInputStream in) throws IOException {
        while (in.read() >= 0) {
            // Swallow requests; answer nothing.
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket c : clients) {
            c.close();
        }
    }
}
