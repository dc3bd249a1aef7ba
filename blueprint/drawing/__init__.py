"""Drawing a blueprint: the swimlane SVG (and PNG, PDF, DOT, HTML) and the Mermaid flowchart."""
