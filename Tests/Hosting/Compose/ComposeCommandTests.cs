using System.Text.RegularExpressions;
using Ichrisbirch.Hosting.Compose;

namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>
/// What the bundle asks a host to run: the commands its headers (and the README) show, each environment its own
/// compose project for Debian's docker-compose 1.29; the programs its services run, all present in a Debian image.
/// </summary>
public class ComposeCommandTests(PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    private static readonly (string Environment, string File)[] Files =
        [("production", "docker-compose.yml"), ("development", "docker-compose.dev.yml"), ("testing", "docker-compose.test.yml")];

    /// <summary>The docker-compose commands in a file's header comment.</summary>
    private List<string> HeaderCommands(string file) => File.ReadLines(Path.Combine(bundle.Directory, file))
        .TakeWhile(l => l.StartsWith('#'))
        .Select(l => l.IndexOf("docker-compose ", StringComparison.Ordinal) is var i and >= 0 ? l[i..] : null)
        .OfType<string>().ToList();

    [Fact]
    public async Task Each_environment_is_its_own_compose_project_in_the_commands_the_files_show_and_only_production_starts_the_entry()
    {
        var all = HeaderCommands("docker-compose.yml");
        Assert.Equal(3, all.Count);
        foreach (var (environment, file) in Files)
        {
            var command = Assert.Single(all, c => c.Contains($" -p ichrisbirch-{environment} ", StringComparison.Ordinal));
            if (file != "docker-compose.yml")
            {
                Assert.Equal(command, Assert.Single(HeaderCommands(file))); // the override shows the same command
                Assert.Contains($"-f docker-compose.yml -f {file} up", command);
                Assert.DoesNotContain("nginx", command.Split(' ')); // its host ports belong to the production project
            }
        }
        Assert.EndsWith("--exit-code-from test-runner test-runner", Assert.Single(all, c => c.Contains("ichrisbirch-testing", StringComparison.Ordinal)));
        foreach (var (_, file) in Files)
        {
            var text = File.ReadAllText(Path.Combine(bundle.Directory, file));
            Assert.DoesNotContain("docker compose ", text); // Debian's docker-compose, not the CLI plugin
            Assert.DoesNotMatch(new Regex("^name:", RegexOptions.Multiline), text); // docker-compose 1.29 rejects it
        }

        // The services a command names exist in that environment's files (docker-compose itself lists them).
        File.WriteAllLines(Path.Combine(bundle.Directory, ".env"), ComposeValidationTests.Filled(bundle.Directory));
        try
        {
            var compose = Publisher.RequireTool("docker-compose", "apt-get install -y docker-compose");
            foreach (var command in all)
            {
                var words = command.Split(' ');
                var up = Array.IndexOf(words, "up");
                var (exit, output) = await Publisher.ExecAsync(compose, [.. words[1..up], "config", "--services"], bundle.Directory);
                Assert.True(exit == 0, $"{command}: {output}");
                var named = words[(up + 1)..].Where(w => !w.StartsWith('-')).ToList();
                Assert.Subset(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(), named.ToHashSet());
            }
        }
        finally
        {
            File.Delete(Path.Combine(bundle.Directory, ".env"));
        }
    }

    [Fact]
    public void The_readme_shows_the_commands_the_files_show()
    {
        var readme = File.ReadAllText(Path.Combine(Publisher.RepoRoot, "README.md"));
        foreach (var command in HeaderCommands("docker-compose.yml"))
        {
            Assert.True(readme.Contains(command, StringComparison.Ordinal), $"README.md does not show `{command}`");
        }
    }

    [Fact]
    public void Every_program_the_services_image_is_asked_to_run_is_python3_as_Debian_names_it()
    {
        foreach (var (_, file) in Files)
        {
            foreach (var (name, value) in Publisher.ReadYaml(Path.Combine(bundle.Directory, file)).Map("services"))
            {
                var service = (Dictionary<object, object>)value;
                if (!service.ContainsKey("entrypoint") || service.ContainsKey("image")) continue;
                Assert.Equal(["python3"], service.List("entrypoint"));
                if (service.ContainsKey("healthcheck")) Assert.Equal("python3", service.Map("healthcheck").List("test")[1]);
            }
            Assert.DoesNotMatch(new Regex(@"^\s*- python$", RegexOptions.Multiline), File.ReadAllText(Path.Combine(bundle.Directory, file)));
        }
    }

    [Fact]
    public void The_Dockerfile_written_for_a_context_without_one_builds_from_Debian_packages_with_security_updates_as_a_numeric_user()
    {
        var source = Directory.CreateTempSubdirectory("context-").FullName;
        var output = Directory.CreateTempSubdirectory("bundle-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(source, "main.py"), "print('hi')\n");
            BundleWriter.CopyBuildContext(source, Path.Combine(output, "svc"));
            var dockerfile = File.ReadAllText(Path.Combine(output, "svc", "Dockerfile"));

            Assert.DoesNotContain("# syntax=", dockerfile); // BuildKit would pull a frontend image
            Assert.All(Regex.Matches(dockerfile, @"^FROM (\S+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value),
                image => Assert.True(image is "debian:bookworm-slim" or "base", $"FROM {image}: only Debian's base image"));
            Assert.Contains("bookworm-security", dockerfile);
            Assert.Contains("apt-get install -y --no-install-recommends python3", dockerfile);
            Assert.DoesNotContain("pip ", dockerfile); // no registry but Debian's
            Assert.Matches(new Regex(@"^USER \d+:\d+$", RegexOptions.Multiline), dockerfile);
            Assert.Equal(["development", "testing", "production"], Regex.Matches(dockerfile, @"^FROM base AS (\S+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value));
        }
        finally
        {
            Directory.Delete(source, recursive: true);
            Directory.Delete(output, recursive: true);
        }
    }
}
