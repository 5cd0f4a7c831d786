"""The municipality portal: server-rendered pages under /portal/ for municipality accounts."""
