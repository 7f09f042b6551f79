using System.Globalization;
using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.EndToEnd.Docker;

/// <summary>
/// A production volume made by the bundle of 0f0e95c, before the application role existed (fixture
/// <c>bundle-0f0e95c/</c>, see its README: api and scheduler connect as the superuser, which creates the schema),
/// upgraded to today's bundle as the README says: published into the same folder, <c>.env</c> kept with
/// <c>POSTGRES_APP_PASSWORD</c> added, <c>up</c> on the same project. Its <c>postgres-init</c> step must give the old
/// database the role: an empty-volume init script alone never runs on it.
/// </summary>
[Collection(DockerCollection.Name)]
public class DockerUpgradeTests(DockerStack stack)
{
    /// <summary>The folder the old README published into (<c>dotnet aspire publish -o publish</c>): docker-compose's default project.</summary>
    private const string Project = "publish";
    private const string Role = "ichrisbirch_app";

    /// <summary>The old bundle's services that touch the database (app and nginx, whose files are not kept, stay out).</summary>
    private static readonly string[] OldServices = ["postgres", "redis", "api", "scheduler"];

    /// <summary>The old .env: the secrets the old .env.example asked for, with the values today's .env keeps.</summary>
    private static readonly string[] OldSecrets = ["API_SECRET_KEY", "APP_ADMIN_PASSWORD", "FLASK_SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"];

    /// <summary>Writes a habit as the old bundle's api serves it: from inside its container (it publishes no host port).</summary>
    private const string PostHabit = """
        import json, os, sys, urllib.request
        body = json.dumps({"name": sys.argv[1], "category": "upgrade"}).encode()
        headers = {"Content-Type": "application/json", "X-API-Key": os.environ["API_SECRET_KEY"]}
        print(urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:8000/habits/", body, headers, method="POST")).status)
        """;

    private static readonly int HttpsPort = DockerStack.HttpsPort + 300;

    /// <summary>Today's nginx may not take production's host ports: other ones, as variables (they win over .env).</summary>
    private static readonly Dictionary<string, string> Ports = new()
    {
        ["HTTP_PORT"] = (DockerStack.HttpPort + 300).ToString(CultureInfo.InvariantCulture),
        ["HTTPS_PORT"] = HttpsPort.ToString(CultureInfo.InvariantCulture),
    };

    private DockerEngine Engine => stack.Engine;

    private static string Fixture => Path.Combine(Repository.Root, "Tests", "EndToEnd", "Docker", "bundle-0f0e95c");

    [Fact]
    public async Task A_volume_made_by_the_bundle_before_the_role_gets_it_from_postgres_init_and_keeps_its_habits()
    {
        var root = Directory.CreateTempSubdirectory("docker-upgrade-").FullName;
        var folder = Path.Combine(root, Project);
        Directory.CreateDirectory(folder);
        try
        {
            // The old bundle as its README ran it (no -p: the project is the folder's name), with today's services image.
            File.Copy(Path.Combine(Fixture, "docker-compose.yml"), Path.Combine(folder, "docker-compose.yml"));
            Publisher.CopyTree(Path.Combine(stack.Bundle, "services"), Path.Combine(folder, "services"));
            await File.WriteAllLinesAsync(Path.Combine(folder, ".env"), OldSecrets.Select(n => $"{n}={stack.Env[n]}"));
            await ComposeOkAsync(folder, null, ["up", "-d", "--build", .. OldServices]);
            await Engine.WaitProjectHealthyAsync(Project, OldServices.Length, TimeSpan.FromMinutes(6));
            var old = await WriteHabitInsideOldApiAsync();
            Assert.Equal("0", await SqlAsync($"SELECT count(*) FROM pg_roles WHERE rolname = '{Role}'"));
            Assert.Equal("postgres", await SqlAsync("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'habits.habits'::regclass"));
            Assert.Equal(["postgres"], await ConnectedRolesAsync("api"));
            Assert.Equal(["postgres"], await ConnectedRolesAsync("scheduler"));
            await ComposeOkAsync(folder, null, ["down"]);
            Assert.Empty(await Engine.ProjectContainersAsync(Project));
            await Engine.DockerOkAsync("volume", "inspect", $"{Project}_postgres_data");

            // Today's bundle published over it; its .env has the old secrets' values and the new POSTGRES_APP_PASSWORD.
            Publisher.CopyTree(stack.Bundle, folder);
            await ComposeOkAsync(folder, Ports, ["-p", Project, "up", "-d", "--build"]);
            await Engine.WaitProjectHealthyAsync(Project, DockerStack.Services.Length, TimeSpan.FromMinutes(6));

            var init = (await Engine.ProjectContainersAsync(Project, "postgres-init")).Single();
            Assert.Equal("exited 0", await Engine.DockerOkAsync("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", init));
            using (var client = stack.Client(port: HttpsPort)) Assert.Contains(old, await client.GetStringAsync("/habits/"));
            var added = await DockerProductionTests.WriteHabitAsync(stack, "after-the-role", HttpsPort);
            Assert.Contains(added, await DockerProductionTests.HabitNamesAsync(stack, HttpsPort));
            Assert.Equal(Role, await SqlAsync("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'habits.habits'::regclass"));
            Assert.Equal([Role], await ConnectedRolesAsync("api"));
            Assert.Equal([Role], await ConnectedRolesAsync("scheduler"));
        }
        finally
        {
            await Engine.ComposeCommandAsync(folder, TimeSpan.FromMinutes(5), ["-p", Project, "down", "-v", "--rmi", "local", "--remove-orphans", "-t", "10"], Ports);
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task ComposeOkAsync(string folder, IReadOnlyDictionary<string, string>? variables, string[] args)
    {
        var (code, output) = await Engine.ComposeCommandAsync(folder, TimeSpan.FromMinutes(30), args, variables);
        Assert.True(code == 0, $"docker-compose {string.Join(' ', args)} exited {code}:\n{output}");
    }

    private async Task<string> WriteHabitInsideOldApiAsync()
    {
        var name = $"before-the-role-{Guid.NewGuid():N}";
        var api = (await Engine.ProjectContainersAsync(Project, "api")).Single();
        Assert.Equal("201", await Engine.DockerOkAsync("exec", api, "python3", "-c", PostHabit, name));
        return name;
    }

    /// <summary>One value of <paramref name="sql"/>, run by the superuser in the project's postgres container (password from its environment).</summary>
    private async Task<string> SqlAsync(string sql)
    {
        var postgres = (await Engine.ProjectContainersAsync(Project, "postgres")).Single();
        return await Engine.DockerOkAsync("exec", postgres, "sh", "-c",
            "PGPASSWORD=\"$POSTGRES_PASSWORD\" psql -h 127.0.0.1 -U postgres -d ichrisbirch -Atc \"$1\"", "sh", sql);
    }

    /// <summary>The roles of the database sessions that <paramref name="service"/>'s container holds (by its address).</summary>
    private async Task<string[]> ConnectedRolesAsync(string service)
    {
        var container = (await Engine.ProjectContainersAsync(Project, service)).Single();
        var address = await Engine.DockerOkAsync("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container);
        var roles = await SqlAsync($"SELECT string_agg(DISTINCT usename, ' ') FROM pg_stat_activity WHERE client_addr = '{address}'");
        return roles.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
