using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Ichrisbirch.Tests.Hosting.Python;

/// <summary>A minimal Debug Adapter Protocol client (Content-Length framed JSON over TCP), enough to attach to debugpy.</summary>
internal sealed class DapClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly List<byte> _buffer = [];
    private int _seq;

    private DapClient(TcpClient client) => (_client, _stream) = (client, client.GetStream());

    /// <summary>Connects once the adapter listens (retrying until <paramref name="patience"/> runs out).</summary>
    public static async Task<DapClient> ConnectAsync(int port, TimeSpan patience)
    {
        for (var deadline = DateTime.UtcNow + patience; ; await Task.Delay(200))
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
                return new DapClient(client);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                client.Dispose();
            }
        }
    }

    public async Task SendAsync(string command, object arguments)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { seq = ++_seq, type = "request", command, arguments });
        await _stream.WriteAsync(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
        await _stream.WriteAsync(body);
    }

    /// <summary>Reads messages until one matches; the ones before it are passed to <paramref name="seen"/>.</summary>
    public async Task<JsonElement> ReadUntilAsync(Func<JsonElement, bool> match, TimeSpan timeout, Func<JsonElement, Task>? seen = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        var chunk = new byte[8192];
        while (true)
        {
            while (TryTake(out var message))
            {
                if (match(message)) return message;
                if (seen is not null) await seen(message);
            }
            var read = await _stream.ReadAsync(chunk, cts.Token);
            if (read == 0) throw new IOException("the debug adapter closed the connection");
            _buffer.AddRange(chunk.Take(read));
        }
    }

    private bool TryTake(out JsonElement message)
    {
        message = default;
        var bytes = _buffer.ToArray();
        var headerEnd = Encoding.ASCII.GetString(bytes).IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headerEnd < 0) return false;
        var length = int.Parse(Encoding.ASCII.GetString(bytes, 0, headerEnd).Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        if (bytes.Length < headerEnd + 4 + length) return false;
        message = JsonDocument.Parse(bytes.AsMemory(headerEnd + 4, length)).RootElement.Clone();
        _buffer.RemoveRange(0, headerEnd + 4 + length);
        return true;
    }

    public static bool Is(JsonElement message, string type, string name)
        => message.GetProperty("type").GetString() == type
           && message.TryGetProperty(type == "event" ? "event" : "command", out var n) && n.GetString() == name;

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }
}
