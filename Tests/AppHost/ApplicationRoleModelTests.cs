using Aspire.Hosting.ApplicationModel;
using static Ichrisbirch.Tests.Support.Models;

namespace Ichrisbirch.Tests.AppHost;

/// <summary>The application role in the model: one script, run as the superuser by the postgres-init step in both modes.</summary>
public class ApplicationRoleModelTests
{
    private static readonly string Script = Path.Combine(Repository.Root, "AppHost", "Postgres", "app-role.sql");

    [Theory]
    [InlineData("Local")]
    [InlineData("Containers")]
    public async Task The_role_step_runs_the_one_script_as_the_superuser_with_the_role_and_its_password_from_the_environment(string mode)
    {
        var model = await AppHostModelAsync("--environment", "Development", $"--Ichrisbirch:Infrastructure={mode}");
        var init = model.Resources.Single(r => r.Name == "postgres-init");
        var env = await EnvironmentAsync(init);

        Assert.Equal("postgres", env["PGUSER"]);
        Assert.Equal("postgres-password", Assert.IsType<ParameterResource>(env["PGPASSWORD"]).Name);
        Assert.Equal("ichrisbirch_dev", env["PGDATABASE"]);
        Assert.Equal("ichrisbirch_app", env["POSTGRES_APP_USER"]);
        Assert.Equal("postgres-app-password", Assert.IsType<ParameterResource>(env["POSTGRES_APP_PASSWORD"]).Name);
        Assert.Equal(RestartPolicy.No, init.GetRestartPolicy());

        var args = await ArgTextAsync(init);
        Assert.DoesNotContain(args, a => a.Contains("password", StringComparison.OrdinalIgnoreCase)); // never on a command line
        if (mode == "Local")
        {
            Assert.Equal(Script, args[^1]);
            return;
        }
        // Containers: the same file in the image's initdb folder of the server (an empty volume runs it) and of the step.
        Assert.Equal("/docker-entrypoint-initdb.d/app-role.sql", args[^1]);
        var postgres = model.Resources.Single(r => r.Name == "postgres");
        foreach (var resource in new[] { postgres, init })
        {
            var mount = Assert.Single(resource.Annotations.OfType<ContainerMountAnnotation>(), m => m.Type == ContainerMountType.BindMount);
            Assert.Equal((Script, "/docker-entrypoint-initdb.d/app-role.sql", true), (mount.Source, mount.Target, mount.IsReadOnly));
        }
        var server = await EnvironmentAsync(postgres);
        Assert.Equal("ichrisbirch_app", server["POSTGRES_APP_USER"]);
        Assert.Equal("postgres-app-password", Assert.IsType<ParameterResource>(server["POSTGRES_APP_PASSWORD"]).Name);
    }
}
