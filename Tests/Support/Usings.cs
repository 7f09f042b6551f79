global using Ichrisbirch.Tests.Support;
