"""``ivr graph``: a company's menu tree as a diagram a person can read.

``build_graph(config)`` (``ivr.graph.model``) makes a ``MenuGraph`` of nodes and edges, no
layout; ``render_dot`` (``ivr.graph.dot``) and ``render_mermaid`` (``ivr.graph.mermaid``)
draw it as text, and ``ivr.graph.graphviz.run_dot`` turns DOT into SVG or PNG with
Graphviz's ``dot``. The words on it come from ``build_graph(config, texts)``
(``ivr.graph.texts``: ``ENGLISH``, the command line's and the default, or ``UKRAINIAN``, the
web console's), which the renderers read from ``MenuGraph.texts``. Both renderers take
``highlight``: a set of the ids below, drawn red and dashed (what no test call covered,
say); an id the graph does not have is a ValueError.

Ids (stable: made of the menu names and keys of config.yaml only):

``menu:<menu>``
    a menu's node.
``option:<menu>:<key>``
    an option of the menu, the default keys (``defaults.keys``) included: its edge from the
    menu, labelled with the key, and the node of its action. An option that goes to a menu
    (``action: menu``) is an edge to that menu's node; an operator option with the menu's
    own topic is an edge to the menu's operator (below); neither has a node of its own.
``option:<menu>:<key>:open``, ``option:<menu>:<key>:closed``
    the two branches of a ``when_open`` option: the edge from its node and the branch's
    action node (none for a menu or the menu's operator, as above).
``option:<menu>:<key>:then``
    where ``identify`` goes once the caller is known (its ``menu``): an edge.
``fallback:<menu>:timeout``, ``fallback:<menu>:invalid``
    no key in time, a key the menu does not have: the retry prompt and the menu again.
``fallback:<menu>:max_failures``
    after ``max_failures`` timeouts or wrong keys: the edge to the menu's operator.
``operator:<menu>``
    the menu's operator: the queue of the menu's topic (else ``operator.topic``), which the
    max-failures fallback, the operator key and operator options of that topic lead to.

The default repeat and back keys and the timeout and invalid-key fallbacks are not drawn as
arrows: they are rows of the menu's box (highlighted, a row turns red). In SVG every node
and edge carries its id as ``class``; a node's ``id`` is its id, an edge's ``<id>:edge``.
"""
